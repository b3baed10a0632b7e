import Foundation
import HTTPTransport
import Logging

/// Credentials of the EC2 instance's IAM role from the instance metadata service, IMDSv2 only.
///
/// `PUT /latest/api/token` (with `X-aws-ec2-metadata-token-ttl-seconds`), then
/// `GET /latest/meta-data/iam/security-credentials/` for the role and `GET …/<role>` for its credentials, each with
/// `X-aws-ec2-metadata-token`. The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT` or `http://169.254.169.254`;
/// `AWS_EC2_METADATA_DISABLED=true` turns the provider off. Give it a client with a 1 s connect timeout (see
/// `HTTPClientConfiguration.metadataService`). Each call fetches; wrap it in ``RefreshingCredentialProvider``.
public struct IMDSCredentialProvider: CredentialProvider {
    static let source = "EC2 instance metadata"
    /// The instance metadata service's address.
    public static let defaultEndpoint = "http://169.254.169.254"
    static let tokenTTLSeconds = 21600
    static let credentialsPath = "/latest/meta-data/iam/security-credentials/"

    /// The environment read.
    public let environment: [String: String]
    private let client: @Sendable () -> HTTPClient
    private let logger: Logger

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, httpClient: HTTPClient,
        logger: Logger = Logger(label: "storage-cache.credentials")
    ) {
        self.init(environment: environment, client: { httpClient }, logger: logger)
    }

    init(environment: [String: String], client: @escaping @Sendable () -> HTTPClient, logger: Logger) {
        self.environment = environment
        self.client = client
        self.logger = logger
    }

    /// Whether `AWS_EC2_METADATA_DISABLED=true`.
    public var isDisabled: Bool { AWSEnvironment.isTrue("AWS_EC2_METADATA_DISABLED", in: environment) }

    /// The service's IPv6 address, used when `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`.
    public static let ipv6Endpoint = "http://[fd00:ec2::254]"

    /// The metadata service's base URL, without a trailing `/`: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else the IPv6
    /// address when `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`, else `http://169.254.169.254`.
    public var endpoint: String {
        let ipv6 =
            AWSEnvironment.value("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", in: environment)?.lowercased() == "ipv6"
        let url =
            AWSEnvironment.value("AWS_EC2_METADATA_SERVICE_ENDPOINT", in: environment)
            ?? (ipv6 ? Self.ipv6Endpoint : Self.defaultEndpoint)
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    public func credentials() async throws(CredentialError) -> AWSCredentials {
        guard !isDisabled else {
            throw CredentialError(
                code: .notConfigured, source: Self.source, message: "disabled by AWS_EC2_METADATA_DISABLED=true")
        }
        let base = endpoint
        let client = client()
        logger.debug("fetching instance role credentials", metadata: ["endpoint": "\(hostForMessage(base))"])
        let tokenResponse = try await send(
            client,
            HTTPRequest(
                method: "PUT", url: base + "/latest/api/token",
                headers: ["X-aws-ec2-metadata-token-ttl-seconds": String(Self.tokenTTLSeconds)],
                destination: .memory(limit: 64 << 10)),
            what: "an IMDSv2 token", unreachableIsNotConfigured: true)
        let token = String(decoding: tokenResponse.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let headers: HTTPHeaders = ["X-aws-ec2-metadata-token": token]
        let roles = try await send(
            client,
            HTTPRequest(
                method: "GET", url: base + Self.credentialsPath, headers: headers, destination: .memory(limit: 64 << 10)
            ),
            what: "the instance's IAM role", unreachableIsNotConfigured: false)
        let role =
            String(decoding: roles.body, as: UTF8.self)
            .split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !role.isEmpty else {
            throw CredentialError(
                code: .notConfigured, source: Self.source, message: "no IAM role is attached to this instance")
        }
        let document = try await send(
            client,
            HTTPRequest(
                method: "GET", url: base + Self.credentialsPath + AWSURIEncoding.encode(role, keepSlash: false),
                headers: headers, destination: .memory(limit: 1 << 20)),
            what: "credentials of role \(role)", unreachableIsNotConfigured: false)
        return try CredentialsDocument.credentials(from: document.body, source: Self.source)
    }

    private func send(
        _ client: HTTPClient, _ request: HTTPRequest, what: String, unreachableIsNotConfigured: Bool
    ) async throws(CredentialError) -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try await client.execute(request)
        } catch {
            throw CredentialError(
                code: unreachableIsNotConfigured ? .notConfigured : .fetchFailed, source: Self.source,
                message: "cannot get \(what) from \(hostForMessage(request.url)): \(error.message)")
        }
        guard response.status == 200 else {
            throw CredentialError(
                code: response.status == 404 ? .notConfigured : .fetchFailed, source: Self.source,
                message: "\(hostForMessage(request.url)) answered HTTP \(response.status) for \(what)")
        }
        return response
    }
}
