import Foundation
import HTTPTransport
import Logging
import Testing

@testable import S3

/// Web identity, container and IMDSv2 providers against `fake_credentials_server.py` on 127.0.0.1.
/// Every environment here disables instance metadata or points it at the loopback fake.
@Suite struct CredentialServiceTests {
    static let roleARN = "arn:aws:iam::123456789012:role/storage-cache-test"

    static func client() -> HTTPClient { CredentialProviderTests.client() }

    @Test func webIdentityAssumesTheRoleThroughSTS() async throws {
        let server = try CredentialFakeServer()
        let dir = try CredentialTempDirectory()
        let tokenFile = try dir.write("token", "oidc-token-1\n")
        var environment = dir.isolatedEnvironment
        environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile
        environment["AWS_ROLE_ARN"] = Self.roleARN
        environment["AWS_ROLE_SESSION_NAME"] = "ci-session"
        environment["AWS_ENDPOINT_URL_STS"] = server.base + "/sts"
        let client = Self.client()
        let chain = CredentialProviderChain(environment: environment, httpClient: client)
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID == "ASIASTS1")
        #expect(credentials.secretAccessKey == "stsSecret1")
        #expect(credentials.sessionToken == "stsToken1")
        let expiration = try #require(credentials.expiration)
        #expect(abs(expiration.timeIntervalSinceNow - 3600) < 120)
        #expect(await chain.resolvedSource == "web identity")
        // Cached: a second call does not go to STS.
        #expect(try await chain.credentials().accessKeyID == "ASIASTS1")
        let stats = try await server.stats(client)
        #expect(stats["sts"] as? Int == 1)
        let form = try #require(stats["last_sts_form"] as? [String: String])
        #expect(form["RoleSessionName"] == "ci-session")
        #expect(form["WebIdentityToken"] == "oidc-token-1")
        #expect(form["RoleArn"] == Self.roleARN)
    }

    @Test func webIdentityCredentialsNearExpiryAreRefreshedAndTheTokenReRead() async throws {
        let server = try CredentialFakeServer(lifetime: 120)  // inside the 5-minute refresh window
        let dir = try CredentialTempDirectory()
        let tokenFile = try dir.write("token", "oidc-token-1")
        let client = Self.client()
        let provider = RefreshingCredentialProvider(
            WebIdentityCredentialProvider(
                environment: [
                    "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": Self.roleARN,
                    "AWS_ENDPOINT_URL_STS": server.base + "/sts",
                ], httpClient: client),
            retryInterval: .zero)
        #expect(try await provider.credentials().accessKeyID == "ASIASTS1")
        try dir.write("token", "oidc-token-2")
        #expect(try await provider.credentials().accessKeyID == "ASIASTS2")
        let form = try #require(try await server.stats(client)["last_sts_form"] as? [String: String])
        #expect(form["WebIdentityToken"] == "oidc-token-2")
    }

    @Test func webIdentitySTSErrorsNameTheCodeButNotTheToken() async throws {
        let server = try CredentialFakeServer()
        let dir = try CredentialTempDirectory()
        let tokenFile = try dir.write("token", "bad")
        var environment = dir.isolatedEnvironment
        environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile
        environment["AWS_ROLE_ARN"] = Self.roleARN
        environment["AWS_ENDPOINT_URL_STS"] = server.base + "/sts"
        do {
            _ = try await CredentialProviderChain(environment: environment, httpClient: Self.client()).credentials()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .fetchFailed)
            #expect(error.source == "web identity")
            #expect(error.description.contains("InvalidIdentityToken"))
            #expect(error.description.contains("HTTP 400"))
        }
    }

    @Test func stsEndpointFollowsRegionAndOverride() {
        func endpoint(_ environment: [String: String]) -> String {
            WebIdentityCredentialProvider(environment: environment, httpClient: Self.client()).endpoint
        }
        #expect(endpoint([:]) == "https://sts.amazonaws.com")
        #expect(endpoint(["AWS_REGION": "eu-central-1"]) == "https://sts.eu-central-1.amazonaws.com")
        #expect(endpoint(["AWS_DEFAULT_REGION": "us-west-2"]) == "https://sts.us-west-2.amazonaws.com")
        #expect(
            endpoint(["AWS_REGION": "eu-central-1", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:1/"])
                == "http://127.0.0.1:1")
    }

    @Test func containerFullURIWithAuthorizationTokenFile() async throws {
        let server = try CredentialFakeServer()
        let dir = try CredentialTempDirectory()
        let authFile = try dir.write("auth", "container-auth-token\n")
        var environment = dir.isolatedEnvironment
        environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.base + "/container/creds"
        environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = authFile
        environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong-token-file-wins"
        let client = Self.client()
        let chain = CredentialProviderChain(environment: environment, httpClient: client, metadataHTTPClient: client)
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID == "ASIACONTAINER1")
        #expect(credentials.sessionToken == "token1")
        #expect(credentials.expiration != nil)
        #expect(await chain.resolvedSource == "container credentials")
    }

    @Test func containerRelativeURIAndTokenVariable() async throws {
        let server = try CredentialFakeServer()
        let client = Self.client()
        let provider = ContainerCredentialProvider(
            environment: [
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/container/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-auth-token",
            ], client: { client }, relativeBaseURL: server.base, logger: Logger(label: "test"))
        #expect(try await provider.credentials().accessKeyID == "ASIACONTAINER1")
        let unauthorized = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/container/creds"], client: { client },
            relativeBaseURL: server.base, logger: Logger(label: "test"))
        do {
            _ = try await unauthorized.credentials()
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("HTTP 401"))
        }
    }

    @Test func containerFullURIMustBeHTTPSOrLoopback() throws {
        let provider = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"], httpClient: Self.client())
        #expect(throws: CredentialError.self) { try provider.endpointURL() }
        let ecs = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"], httpClient: Self.client())
        #expect(try ecs.endpointURL() == "http://169.254.170.2/v2/credentials/abc")
    }

    @Test func imdsV2FetchesTheRoleCredentialsWithAToken() async throws {
        let server = try CredentialFakeServer()
        let dir = try CredentialTempDirectory()
        var environment = dir.isolatedEnvironment
        environment["AWS_EC2_METADATA_DISABLED"] = nil
        environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.base + "/"
        let client = Self.client()
        let chain = CredentialProviderChain(environment: environment, httpClient: client, metadataHTTPClient: client)
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID == "ASIAIMDS1")
        #expect(credentials.secretAccessKey == "secret1")
        #expect(credentials.sessionToken == "token1")
        #expect(await chain.resolvedSource == "EC2 instance metadata")
        let stats = try await server.stats(client)
        #expect(stats["imds_token"] as? Int == 1)
        #expect(stats["imds_role"] as? Int == 1)
        #expect(stats["imds_creds"] as? Int == 1)
    }

    @Test func unreachableInstanceMetadataEndsTheChainWithNotFound() async throws {
        let server = try CredentialFakeServer()
        let client = Self.client()
        let port = try await server.freePort(client)
        let dir = try CredentialTempDirectory()
        var environment = dir.isolatedEnvironment
        environment["AWS_EC2_METADATA_DISABLED"] = nil
        environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:\(port)"
        do {
            _ = try await CredentialProviderChain(
                environment: environment, httpClient: client, metadataHTTPClient: client
            )
            .credentials()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .notConfigured)
            #expect(
                error.description.contains("EC2 instance metadata: cannot get an IMDSv2 token from http://127.0.0.1"))
        }
    }

    @Test func imdsEndpointFollowsOverrideAndMode() {
        func endpoint(_ environment: [String: String]) -> String {
            IMDSCredentialProvider(environment: environment, httpClient: Self.client()).endpoint
        }
        #expect(endpoint([:]) == "http://169.254.169.254")
        #expect(endpoint(["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"]) == "http://[fd00:ec2::254]")
        #expect(endpoint(["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9/"]) == "http://127.0.0.1:9")
    }

    @Test func imdsDisabledMakesNoRequest() async throws {
        let server = try CredentialFakeServer()
        let client = Self.client()
        let provider = IMDSCredentialProvider(
            environment: ["AWS_EC2_METADATA_DISABLED": "TRUE", "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.base],
            httpClient: client)
        await #expect(throws: CredentialError.self) { try await provider.credentials() }
        #expect(try await server.count("imds_token", client) == 0)
    }
}

extension CredentialServiceTests {
    @Test func webIdentityRetriesARetryableSTSError() async throws {
        let server = try CredentialFakeServer()
        let dir = try CredentialTempDirectory()
        let tokenFile = try dir.write("token", "flaky-token")
        let client = Self.client()
        let provider = WebIdentityCredentialProvider(
            environment: [
                "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": Self.roleARN,
                "AWS_ENDPOINT_URL_STS": server.base + "/sts",
            ], httpClient: client)
        #expect(try await provider.credentials().accessKeyID == "ASIASTS2")
        #expect(try await server.count("sts", client) == 2)
    }
}

extension CredentialServiceTests {
    @Test func concurrentFirstCallsThroughTheChainMakeOneSTSRequest() async throws {
        let server = try CredentialFakeServer()
        let dir = try CredentialTempDirectory()
        let tokenFile = try dir.write("token", "oidc-token")
        var environment = dir.isolatedEnvironment
        environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile
        environment["AWS_ROLE_ARN"] = Self.roleARN
        environment["AWS_ENDPOINT_URL_STS"] = server.base + "/sts"
        let client = Self.client()
        let chain = CredentialProviderChain(environment: environment, httpClient: client)
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await chain.credentials().accessKeyID } }
            var keys: Set<String> = []
            for try await key in group { keys.insert(key) }
            return keys
        }
        #expect(keys == ["ASIASTS1"])
        #expect(try await server.count("sts", client) == 1)
    }
}
