import Foundation
import HTTPTransport
import Logging
import Testing

@testable import S3

/// A temporary directory removed when the value is dropped by the test.
final class CredentialTempDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("storage-cache-credentials-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// An environment whose HOME is this directory, with instance metadata disabled (no network).
    var isolatedEnvironment: [String: String] {
        ["HOME": path, "AWS_EC2_METADATA_DISABLED": "true"]
    }
}

@Suite struct CredentialProviderTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let token = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN"

    static func client() -> HTTPClient {
        var configuration = HTTPClientConfiguration.metadataService()
        configuration.totalTimeout = .seconds(5)
        return HTTPClient(configuration: configuration, logger: Logger(label: "test"))
    }

    @Test func environmentProviderReadsKeysAndSessionToken() async throws {
        let provider = EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": Self.secret, "AWS_SESSION_TOKEN": Self.token,
        ])
        let credentials = try await provider.credentials()
        #expect(
            credentials
                == AWSCredentials(accessKeyID: "AKIDENV", secretAccessKey: Self.secret, sessionToken: Self.token))
        let plain = try await EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": Self.secret, "AWS_SESSION_TOKEN": "",
        ]).credentials()
        #expect(plain.sessionToken == nil)
    }

    @Test func environmentProviderNamesWhatIsMissing() async {
        await #expect {
            try await EnvironmentCredentialProvider(environment: [:]).credentials()
        } throws: { error in
            (error as? CredentialError)?.code == .notConfigured
        }
        do {
            _ = try await EnvironmentCredentialProvider(environment: ["AWS_SECRET_ACCESS_KEY": Self.secret])
                .credentials()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.description.contains("AWS_ACCESS_KEY_ID"))
            #expect(error.description.contains("environment"))
            #expect(!error.description.contains(Self.secret))
        }
    }

    @Test func sharedFilesResolveProfilesCredentialsFileFirst() async throws {
        let dir = try CredentialTempDirectory()
        try dir.write(
            ".aws/credentials",
            """
            # comment
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = \(Self.secret)

            [work]
            aws_access_key_id=AKIDWORK
            aws_secret_access_key=workSecret ; inline comment
            aws_session_token = \(Self.token)
            """)
        try dir.write(
            ".aws/config",
            """
            [default]
            region = eu-west-1
            [profile work]
            region = ap-southeast-2
            aws_access_key_id = AKIDFROMCONFIG
            s3 =
              max_concurrent_requests = 20
            [profile configonly]
            aws_access_key_id = AKIDCONFIGONLY
            aws_secret_access_key = configSecret
            [work]
            aws_access_key_id = NOT_A_CONFIG_PROFILE
            """)
        var environment = dir.isolatedEnvironment
        let fallback = try await SharedConfigFileCredentialProvider(environment: environment).credentials()
        #expect(fallback.accessKeyID == "AKIDDEFAULT")
        #expect(fallback.secretAccessKey == Self.secret)
        #expect(AWSRegionResolver.region(environment: environment) == "eu-west-1")

        environment["AWS_PROFILE"] = "work"
        let work = try await SharedConfigFileCredentialProvider(environment: environment).credentials()
        #expect(
            work == AWSCredentials(accessKeyID: "AKIDWORK", secretAccessKey: "workSecret", sessionToken: Self.token))
        #expect(AWSRegionResolver.region(environment: environment) == "ap-southeast-2")
        environment["AWS_REGION"] = "us-west-1"
        #expect(AWSRegionResolver.region(environment: environment) == "us-west-1")

        environment["AWS_PROFILE"] = "configonly"
        let configOnly = try await SharedConfigFileCredentialProvider(environment: environment).credentials()
        #expect(configOnly.accessKeyID == "AKIDCONFIGONLY")

        environment["AWS_PROFILE"] = "missing"
        do {
            _ = try await SharedConfigFileCredentialProvider(environment: environment).credentials()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.description.contains("\"missing\""))
            #expect(error.description.contains("AWS_PROFILE"))
        }
    }

    @Test func sharedFilePathsComeFromEnvironment() async throws {
        let dir = try CredentialTempDirectory()
        let credentialsFile = try dir.write(
            "elsewhere/creds", "[ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = ciSecret\n")
        let configFile = try dir.write("elsewhere/conf", "[profile ci]\nregion = sa-east-1\n")
        var environment = dir.isolatedEnvironment
        environment["AWS_SHARED_CREDENTIALS_FILE"] = credentialsFile
        environment["AWS_CONFIG_FILE"] = configFile
        environment["AWS_PROFILE"] = "ci"
        let credentials = try await SharedConfigFileCredentialProvider(environment: environment).credentials()
        #expect(credentials.accessKeyID == "AKIDCI")
        #expect(AWSSharedConfig.load(environment: environment).region == "sa-east-1")
    }

    @Test func unsupportedProfileKindsAreReported() async throws {
        let dir = try CredentialTempDirectory()
        try dir.write(".aws/config", "[default]\nrole_arn = arn:aws:iam::123:role/x\nsource_profile = base\n")
        do {
            _ = try await SharedConfigFileCredentialProvider(environment: dir.isolatedEnvironment).credentials()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.description.contains("role_arn"))
        }
    }

    @Test func chainPrefersExplicitThenEnvironmentThenFiles() async throws {
        let dir = try CredentialTempDirectory()
        try dir.write(
            ".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = fileSecret\n")
        var environment = dir.isolatedEnvironment
        environment["AWS_ACCESS_KEY_ID"] = "AKIDENV"
        environment["AWS_SECRET_ACCESS_KEY"] = "envSecret"
        let client = Self.client()
        let explicit = AWSCredentials(accessKeyID: "AKIDEXPLICIT", secretAccessKey: "explicitSecret")

        let withExplicit = CredentialProviderChain(explicit: explicit, environment: environment, httpClient: client)
        #expect(try await withExplicit.credentials().accessKeyID == "AKIDEXPLICIT")
        #expect(await withExplicit.resolvedSource == "explicit credentials")

        let fromEnvironment = CredentialProviderChain(environment: environment, httpClient: client)
        #expect(try await fromEnvironment.credentials().accessKeyID == "AKIDENV")
        #expect(await fromEnvironment.resolvedSource == "environment")

        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        let fromFile = CredentialProviderChain(environment: environment, httpClient: client)
        #expect(try await fromFile.credentials().accessKeyID == "AKIDFILE")
        #expect(await fromFile.resolvedSource == "shared config files")
    }

    @Test func chainWithNothingConfiguredSaysWhatItTried() async throws {
        let dir = try CredentialTempDirectory()
        let chain = CredentialProviderChain(environment: dir.isolatedEnvironment, httpClient: Self.client())
        do {
            _ = try await chain.credentials()
            Issue.record("expected an error")
        } catch {
            let message = error.description
            #expect(message.hasPrefix("no AWS credentials found"))
            for mention in [
                "AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "no profile \"default\"",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_EC2_METADATA_DISABLED",
            ] {
                #expect(message.contains(mention), "missing \(mention) in: \(message)")
            }
        }
    }

    @Test func chainStopsAtAHalfConfiguredSource() async throws {
        let dir = try CredentialTempDirectory()
        try dir.write(
            ".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = fileSecret\n")
        var environment = dir.isolatedEnvironment
        environment["AWS_ACCESS_KEY_ID"] = "AKIDENV"
        let chain = CredentialProviderChain(environment: environment, httpClient: Self.client())
        await #expect {
            try await chain.credentials()
        } throws: { error in
            (error as? CredentialError)?.code == .invalidConfiguration
        }
    }

    @Test func noSecretAppearsInDescriptionsOrErrors() async throws {
        let credentials = AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: Self.secret, sessionToken: Self.token,
            expiration: Date())
        for text in [
            credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials),
        ] {
            #expect(!text.contains(Self.secret))
            #expect(!text.contains(Self.token))
            #expect(!text.contains("AKIAIOSFODNN7EXAMPLE"))
        }
        let dir = try CredentialTempDirectory()
        try dir.write(".aws/credentials", "[default]\naws_secret_access_key = \(Self.secret)\n")
        let token = try dir.write("token", Self.token)
        var environment = dir.isolatedEnvironment
        environment["AWS_SECRET_ACCESS_KEY"] = Self.secret
        environment["AWS_SESSION_TOKEN"] = Self.token
        environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = Self.token
        environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = token
        var errors: [CredentialError] = []
        let providers: [any CredentialProvider] = [
            EnvironmentCredentialProvider(environment: environment),
            SharedConfigFileCredentialProvider(environment: environment),
            WebIdentityCredentialProvider(environment: environment, httpClient: Self.client()),
            CredentialProviderChain(environment: environment, httpClient: Self.client()),
        ]
        for provider in providers {
            do {
                _ = try await provider.credentials()
                Issue.record("expected an error from \(type(of: provider))")
            } catch {
                errors.append(error)
            }
        }
        for error in errors {
            #expect(!error.description.contains(Self.secret))
            #expect(!error.description.contains(Self.token))
            #expect(!error.source.isEmpty)
        }
    }
}
