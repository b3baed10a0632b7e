import Foundation
import HTTPTransport
import Logging

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Temporary credentials from STS `AssumeRoleWithWebIdentity`, with the token in `AWS_WEB_IDENTITY_TOKEN_FILE`
/// (re-read on every fetch, as the file rotates) and the role in `AWS_ROLE_ARN`.
///
/// The session is `AWS_ROLE_SESSION_NAME` or `storage-cache-<time>`. STS is `AWS_ENDPOINT_URL_STS` when set, else
/// `https://sts.{region}.amazonaws.com` for `AWS_REGION`/`AWS_DEFAULT_REGION`, else `https://sts.amazonaws.com`.
/// Each call fetches; wrap it in ``RefreshingCredentialProvider`` to cache.
public struct WebIdentityCredentialProvider: CredentialProvider {
    static let source = "web identity"

    /// The environment read.
    public let environment: [String: String]
    private let httpClient: HTTPClient
    private let logger: Logger

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, httpClient: HTTPClient,
        logger: Logger = Logger(label: "storage-cache.credentials")
    ) {
        self.environment = environment
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Whether `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` are set.
    public var isConfigured: Bool {
        AWSEnvironment.value("AWS_WEB_IDENTITY_TOKEN_FILE", in: environment) != nil
            && AWSEnvironment.value("AWS_ROLE_ARN", in: environment) != nil
    }

    /// The STS endpoint used, without a trailing `/`.
    public var endpoint: String {
        if let url = AWSEnvironment.value("AWS_ENDPOINT_URL_STS", in: environment) {
            return url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        if let region = AWSEnvironment.region(in: environment) { return "https://sts.\(region).amazonaws.com" }
        return "https://sts.amazonaws.com"
    }

    public func credentials() async throws(CredentialError) -> AWSCredentials {
        let tokenFile = AWSEnvironment.value("AWS_WEB_IDENTITY_TOKEN_FILE", in: environment)
        let roleARN = AWSEnvironment.value("AWS_ROLE_ARN", in: environment)
        guard let tokenFile, let roleARN else {
            if tokenFile == nil && roleARN == nil {
                throw CredentialError(
                    code: .notConfigured, source: Self.source,
                    message: "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set")
            }
            throw CredentialError(
                code: .invalidConfiguration, source: Self.source,
                message: tokenFile == nil
                    ? "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not"
                    : "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not")
        }
        let path = AWSEnvironment.expandingTilde(tokenFile, in: environment)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError(
                code: .invalidConfiguration, source: Self.source,
                message: "cannot read the token file \(path) (AWS_WEB_IDENTITY_TOKEN_FILE)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw CredentialError(
                code: .invalidConfiguration, source: Self.source,
                message: "the token file \(path) (AWS_WEB_IDENTITY_TOKEN_FILE) is empty")
        }
        let session =
            AWSEnvironment.value("AWS_ROLE_SESSION_NAME", in: environment)
            ?? "storage-cache-\(Int(Date().timeIntervalSince1970))"
        let form = [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", session), ("WebIdentityToken", token),
        ]
        .map { "\($0.0)=\(AWSURIEncoding.encode($0.1, keepSlash: false))" }
        .joined(separator: "&")
        let base = endpoint
        let hasPath = base.range(of: "://").map { base[$0.upperBound...].contains("/") } ?? false
        let url = hasPath ? base : base + "/"
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/xml"],
            body: .bytes(Array(form.utf8)), destination: .memory(limit: 1 << 20))
        logger.debug("assuming role with web identity", metadata: ["sts": "\(hostForMessage(url))"])
        let (_, parsed) = try await send(request, url: url, roleARN: roleARN)
        guard let key = parsed.values["AccessKeyId"], let secret = parsed.values["SecretAccessKey"],
            let sessionToken = parsed.values["SessionToken"]
        else {
            throw CredentialError(
                code: .fetchFailed, source: Self.source,
                message: "the STS response has no AccessKeyId, SecretAccessKey or SessionToken")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: sessionToken,
            expiration: parsed.values["Expiration"].flatMap(SigV4Date.parseISO8601))
    }

    /// STS error codes worth another attempt.
    static let retryableErrorCodes: Set<String> = [
        "IDPCommunicationError", "Throttling", "ThrottlingException", "RequestLimitExceeded", "ServiceUnavailable",
        "InternalFailure",
    ]

    /// Sends `request`, retrying transient transport errors, 5xx and retryable STS errors (3 attempts in all).
    private func send(_ request: HTTPRequest, url: String, roleARN: String) async throws(CredentialError) -> (
        HTTPResponse, STSResponse
    ) {
        let attempts = 3
        for attempt in 1...attempts {
            let last = attempt == attempts || Task.isCancelled
            let response: HTTPResponse
            do {
                response = try await httpClient.execute(request)
            } catch {
                if !last && error.isTransient {
                    await Self.backOff(attempt)
                    continue
                }
                throw CredentialError(
                    code: .fetchFailed, source: Self.source,
                    message: "cannot reach STS at \(hostForMessage(url)): \(error.message)")
            }
            let parsed = STSResponse.parse(response.body)
            if (200..<300).contains(response.status) { return (response, parsed) }
            let retryable = response.status >= 500 || parsed.errorCode.map(Self.retryableErrorCodes.contains) == true
            if !last && retryable {
                await Self.backOff(attempt)
                continue
            }
            let detail = [parsed.errorCode, parsed.errorMessage].compactMap { $0 }.joined(separator: ": ")
            throw CredentialError(
                code: .fetchFailed, source: Self.source,
                message: "STS AssumeRoleWithWebIdentity for \(roleARN) failed with HTTP \(response.status)"
                    + (detail.isEmpty ? "" : " (\(detail))"))
        }
        throw CredentialError(code: .fetchFailed, source: Self.source, message: "STS gave no answer")
    }

    private static func backOff(_ attempt: Int) async {
        try? await Task.sleep(for: .milliseconds(100 << attempt))
    }
}

/// The fields of an STS XML response: credentials, or an `<Error>`'s code and message.
struct STSResponse {
    var values: [String: String] = [:]
    var errorCode: String?
    var errorMessage: String?

    static func parse(_ body: [UInt8]) -> STSResponse {
        let delegate = Delegate()
        let parser = XMLParser(data: Data(body))
        parser.delegate = delegate
        _ = parser.parse()
        var response = STSResponse()
        response.values = delegate.values
        response.errorCode = delegate.errorCode
        response.errorMessage = delegate.errorMessage
        return response
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        static let wanted: Set<String> = ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
        var values: [String: String] = [:]
        var errorCode: String?
        var errorMessage: String?
        private var path: [String] = []
        private var text = ""

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            path.append(elementName)
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
        ) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let parent = path.count >= 2 ? path[path.count - 2] : ""
            if parent == "Credentials", Self.wanted.contains(elementName) {
                values[elementName] = value
            } else if parent == "Error", elementName == "Code" {
                errorCode = value
            } else if parent == "Error", elementName == "Message" {
                errorMessage = value
            }
            path.removeLast()
            text = ""
        }
    }
}
