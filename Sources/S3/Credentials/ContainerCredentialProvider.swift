import Foundation
import HTTPTransport
import Logging

/// Credentials from the ECS/EKS container credentials endpoint.
///
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is a path on `http://169.254.170.2`; otherwise
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` is the whole URL (https, or http only to a loopback or the ECS/EKS
/// agent addresses). The `Authorization` header is the contents of `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`
/// (re-read each fetch), else `AWS_CONTAINER_AUTHORIZATION_TOKEN`. Each call fetches; wrap it in
/// ``RefreshingCredentialProvider`` to cache.
public struct ContainerCredentialProvider: CredentialProvider {
    static let source = "container credentials"
    /// The ECS agent's address, the base of `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
    public static let ecsBaseURL = "http://169.254.170.2"
    static let allowedHTTPHosts: Set<String> = ["169.254.170.2", "169.254.170.23", "[fd00:ec2::23]", "localhost"]

    /// The environment read.
    public let environment: [String: String]
    private let client: @Sendable () -> HTTPClient
    private let relativeBaseURL: String
    private let logger: Logger

    /// - Parameter httpClient: The client to use; give it short timeouts (see
    ///   `HTTPClientConfiguration.metadataService`).
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, httpClient: HTTPClient,
        logger: Logger = Logger(label: "storage-cache.credentials")
    ) {
        self.init(environment: environment, client: { httpClient }, logger: logger)
    }

    init(
        environment: [String: String], client: @escaping @Sendable () -> HTTPClient,
        relativeBaseURL: String = Self.ecsBaseURL, logger: Logger
    ) {
        self.environment = environment
        self.client = client
        self.relativeBaseURL = relativeBaseURL
        self.logger = logger
    }

    /// Whether either URI variable is set.
    public var isConfigured: Bool {
        AWSEnvironment.value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", in: environment) != nil
            || AWSEnvironment.value("AWS_CONTAINER_CREDENTIALS_FULL_URI", in: environment) != nil
    }

    /// The URL credentials are fetched from, after validating `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    func endpointURL() throws(CredentialError) -> String {
        if let relative = AWSEnvironment.value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", in: environment) {
            return relativeBaseURL + (relative.hasPrefix("/") ? relative : "/" + relative)
        }
        guard let full = AWSEnvironment.value("AWS_CONTAINER_CREDENTIALS_FULL_URI", in: environment) else {
            throw CredentialError(
                code: .notConfigured, source: Self.source,
                message: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set")
        }
        let parts = SigV4URL(full)
        var host = parts.hostHeader
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") { host = String(host[..<colon]) }
        let loopback = host.hasPrefix("127.") || host == "[::1]" || Self.allowedHTTPHosts.contains(host)
        guard parts.scheme == "https" || (parts.scheme == "http" && loopback) else {
            throw CredentialError(
                code: .invalidConfiguration, source: Self.source,
                message: "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or ECS/EKS address "
                    + "(got \(hostForMessage(full)))")
        }
        return full
    }

    func authorizationToken() throws(CredentialError) -> String? {
        if let file = AWSEnvironment.value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", in: environment) {
            let path = AWSEnvironment.expandingTilde(file, in: environment)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CredentialError(
                    code: .invalidConfiguration, source: Self.source,
                    message: "cannot read \(path) (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return AWSEnvironment.value("AWS_CONTAINER_AUTHORIZATION_TOKEN", in: environment)
    }

    public func credentials() async throws(CredentialError) -> AWSCredentials {
        let url = try endpointURL()
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let token = try authorizationToken() { headers.add(name: "Authorization", value: token) }
        logger.debug("fetching container credentials", metadata: ["endpoint": "\(hostForMessage(url))"])
        let response: HTTPResponse
        do {
            response = try await client().execute(
                HTTPRequest(method: "GET", url: url, headers: headers, destination: .memory(limit: 1 << 20)))
        } catch {
            throw CredentialError(
                code: .fetchFailed, source: Self.source,
                message: "cannot reach \(hostForMessage(url)): \(error.message)")
        }
        guard response.status == 200 else {
            throw CredentialError(
                code: .fetchFailed, source: Self.source,
                message: "\(hostForMessage(url)) answered HTTP \(response.status)")
        }
        return try CredentialsDocument.credentials(from: response.body, source: Self.source)
    }
}
