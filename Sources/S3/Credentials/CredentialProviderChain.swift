import Foundation
import HTTPTransport
import Logging

/// The AWS SDKs' credential chain: explicit values, then the environment (`AWS_ACCESS_KEY_ID`, …), web identity
/// (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, STS), the shared credentials/config files for `AWS_PROFILE`,
/// container credentials (`AWS_CONTAINER_CREDENTIALS_*`) and EC2 instance metadata (IMDSv2).
///
/// A source that is not set up is skipped; one that is set up but fails stops the chain with its error. The first
/// source that answers is remembered and asked from then on. Temporary credentials (web identity, container,
/// instance metadata) are cached and refreshed 5 minutes before they expire, one fetch at a time.
public actor CredentialProviderChain: CredentialProvider {
    /// A named link of the chain.
    public struct Link: Sendable {
        /// The source's name, for messages.
        public var name: String
        /// The provider.
        public var provider: any CredentialProvider

        public init(name: String, provider: any CredentialProvider) {
            self.name = name
            self.provider = provider
        }
    }

    /// The links, in the order they are tried.
    public nonisolated let links: [Link]
    private var resolved: Int?
    private let logger: Logger

    /// A chain of `links`, tried in order.
    public init(links: [Link], logger: Logger = Logger(label: "storage-cache.credentials")) {
        self.links = links
        self.logger = logger
    }

    /// The standard chain.
    ///
    /// - Parameters:
    ///   - explicit: Credentials given on the command line or in code; they win when present.
    ///   - environment: The environment to read, `ProcessInfo`'s by default.
    ///   - httpClient: The client for STS.
    ///   - metadataHTTPClient: The client for the container endpoint and instance metadata; by default one with
    ///     `httpClient`'s settings but a 1 s connect timeout and a 5 s total timeout, created on first use.
    public init(
        explicit: AWSCredentials? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: HTTPClient, metadataHTTPClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "storage-cache.credentials")
    ) {
        let metadataClient: @Sendable () -> HTTPClient
        if let metadataHTTPClient {
            metadataClient = { metadataHTTPClient }
        } else {
            let lazy = LazyHTTPClient(
                configuration: .metadataService(from: httpClient.configuration), logger: logger)
            metadataClient = { lazy.client }
        }
        var links: [Link] = []
        if let explicit {
            links.append(Link(name: "explicit credentials", provider: StaticCredentialProvider(explicit)))
        }
        links.append(
            Link(
                name: EnvironmentCredentialProvider.source,
                provider: EnvironmentCredentialProvider(environment: environment)))
        links.append(
            Link(
                name: WebIdentityCredentialProvider.source,
                provider: RefreshingCredentialProvider(
                    WebIdentityCredentialProvider(environment: environment, httpClient: httpClient, logger: logger))))
        links.append(
            Link(
                name: SharedConfigFileCredentialProvider.source,
                provider: SharedConfigFileCredentialProvider(environment: environment)))
        links.append(
            Link(
                name: ContainerCredentialProvider.source,
                provider: RefreshingCredentialProvider(
                    ContainerCredentialProvider(environment: environment, client: metadataClient, logger: logger))))
        links.append(
            Link(
                name: IMDSCredentialProvider.source,
                provider: RefreshingCredentialProvider(
                    IMDSCredentialProvider(environment: environment, client: metadataClient, logger: logger))))
        self.init(links: links, logger: logger)
    }

    /// The name of the source that answered, once one has.
    public var resolvedSource: String? { resolved.map { links[$0].name } }

    public func credentials() async throws(CredentialError) -> AWSCredentials {
        if let resolved { return try await links[resolved].provider.credentials() }
        var skipped: [String] = []
        for (index, link) in links.enumerated() {
            do {
                let credentials = try await link.provider.credentials()
                if resolved == nil {
                    resolved = index
                    logger.debug("using AWS credentials", metadata: ["source": "\(link.name)"])
                }
                return credentials
            } catch  where error.code == .notConfigured {
                skipped.append(error.description)
            } catch {
                throw error.source.isEmpty
                    ? CredentialError(code: error.code, source: link.name, message: error.message) : error
            }
        }
        throw CredentialError(
            code: .notConfigured, source: "",
            message: "no AWS credentials found; tried "
                + (skipped.isEmpty ? "nothing" : skipped.joined(separator: "; ")))
    }
}

/// An ``HTTPClient`` created on first use.
final class LazyHTTPClient: @unchecked Sendable {
    private let lock = NSLock()
    private let configuration: HTTPClientConfiguration
    private let logger: Logger
    private var made: HTTPClient?

    init(configuration: HTTPClientConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    var client: HTTPClient {
        lock.withLock {
            if let made { return made }
            let client = HTTPClient(configuration: configuration, logger: logger)
            made = client
            return client
        }
    }
}
