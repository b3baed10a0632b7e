import ArgumentParser
import Foundation
import HTTPTransport
import Logging
import S3

/// Connection options shared by every `s3` subcommand.
struct S3CommandOptions: ParsableArguments {
    @Option(help: "S3 endpoint URL for MinIO, LocalStack, R2… (default: AWS, or $AWS_ENDPOINT_URL_S3).")
    var endpoint: String?

    @Option(help: "Region to sign for (default: $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1).")
    var region: String?

    @Option(help: "Profile of the shared AWS config and credentials files (default: $AWS_PROFILE).")
    var profile: String?

    @Flag(help: "Put the bucket in the URL path rather than the host name (always so for custom endpoints).")
    var pathStyle = false

    @Option(help: "12-digit account id the bucket must belong to (sent as x-amz-expected-bucket-owner).")
    var expectedBucketOwner: String?

    @Flag(help: "Allow a plain-http endpoint that is not loopback.")
    var allowInsecureEndpoint = false

    @Flag(help: "Log each request (method, host, path, status) to stderr. Never logs secrets.")
    var verbose = false

    /// The region to use.
    func resolvedRegion(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
    }

    /// A logger to stderr, at debug level with `--verbose`.
    func makeLogger() -> Logger {
        var logger = Logger(label: "storage-cache.s3") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    /// A client built from these options and the environment.
    func makeClient(concurrency: Int = 32) throws(S3Error) -> S3Client {
        let environment = ProcessInfo.processInfo.environment
        let region = resolvedRegion(environment: environment)
        let endpointURL = endpoint ?? environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"]
        let resolvedEndpoint: S3Endpoint =
            if let endpointURL {
                try S3Endpoint.custom(endpointURL, forcePathStyle: true)
            } else {
                S3Endpoint.aws(region: region, forcePathStyle: pathStyle)
            }
        if let owner = expectedBucketOwner {
            do {
                try S3Validation.validateAccountID(owner)
            } catch {
                throw .invalidInput("--expected-bucket-owner " + error.message)
            }
        }
        let logger = makeLogger()
        let configuration = S3ClientConfiguration(
            region: region, endpoint: resolvedEndpoint, expectedBucketOwner: expectedBucketOwner,
            allowInsecureEndpoint: allowInsecureEndpoint)
        return S3ClientFactory.make(
            configuration: configuration, concurrency: concurrency,
            logger: logger
        ) { http in
            S3CLICredentials.provider(profile: profile, http: http, logger: logger)
        }
    }
}

/// How the CLI builds an ``S3Client``: one HTTP client sized for `concurrency`, credentials from `credentials`.
enum S3ClientFactory {
    static func make(
        configuration: S3ClientConfiguration, concurrency: Int, logger: Logger,
        credentials: (HTTPClient) -> any CredentialProvider
    ) -> S3Client {
        var http = HTTPClientConfiguration()
        http.maxConcurrentRequests = max(concurrency, 8)
        let client = HTTPClient(configuration: http, logger: logger)
        return S3Client(configuration: configuration, credentials: credentials(client), http: client, logger: logger)
    }
}

/// Where the CLI's credentials come from.
enum S3CLICredentials {
    /// The standard AWS chain (environment, web identity, shared files for `profile`, container, instance
    /// metadata); `--profile` overrides `AWS_PROFILE`.
    static func provider(profile: String?, http: HTTPClient, logger: Logger) -> any CredentialProvider {
        var environment = ProcessInfo.processInfo.environment
        if let profile { environment["AWS_PROFILE"] = profile }
        return CredentialProviderChain(environment: environment, httpClient: http, logger: logger)
    }
}

/// Runs an `s3` subcommand body, turning failures into the README's exit codes with a one-line message.
func runS3Command(_ body: () async throws(S3Error) -> Void) async throws {
    do {
        try await body()
    } catch {
        FileHandle.standardError.write(Data("storage-cache: error: \(error)\n".utf8))
        throw ExitCode(S3ExitCode.code(for: error))
    }
}

/// The README's exit codes for S3 failures.
enum S3ExitCode {
    static func code(for error: S3Error) -> Int32 {
        switch error.code {
        case .invalidInput: 2
        case .notFound: 3
        case .accessDenied: 4
        case .integrity: 5
        case .preconditionFailed, .wrongRegion, .network, .serviceUnavailable, .localFile, .other: 1
        }
    }
}

/// Writes a line to stdout.
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
