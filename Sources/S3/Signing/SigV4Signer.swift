import Foundation
import HTTPTransport
import Hashing

/// AWS Signature Version 4 for S3: header signing and presigned URLs.
///
/// Canonical requests follow S3's rules: the path is taken exactly as given in the URL (callers encode object keys
/// once with ``AWSURIEncoding/encode(_:keepSlash:)`` and `keepSlash: true`; S3 uses no double encoding and no path
/// normalisation), query names and values are decoded and re-encoded with `/` encoded, and headers are trimmed
/// and sorted.
public struct SigV4Signer: Sendable {
    /// The region the signature is scoped to, e.g. `us-east-1`.
    public var region: String
    /// The service the signature is scoped to (`s3`, or `sts` for the credential provider).
    public var service: String

    public init(region: String, service: String = "s3") {
        self.region = region
        self.service = service
    }

    /// `x-amz-content-sha256` value for a body that is not signed (only over https).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Whether ``unsignedPayload`` may be used for `url`: only over https, where TLS protects the body.
    public static func allowsUnsignedPayload(url: String) -> Bool {
        SigV4URL(url).scheme == "https"
    }

    /// The signing algorithm's name.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// Lower-case hex SHA-256 of the empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Header names never signed: hop-by-hop headers and ones proxies or the transport may rewrite
    /// (botocore's list, plus `authorization`).
    public static let unsignedHeaderNames: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// Signs a request in place: adds `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` when the
    /// credentials have one, and `Authorization`.
    ///
    /// Every header passed in is signed except ``unsignedHeaderNames``; `host` is signed from the URL (with its
    /// port only when it is not the scheme's default) unless a `Host` header is given.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - url: The full, already-encoded URL the request goes to.
    ///   - headers: The headers to send; `host` is signed from the URL.
    ///   - payloadHash: Lower-case hex SHA-256 of the body, or ``unsignedPayload`` (only over https).
    public func sign(
        method: String, url: String, headers: inout HTTPHeaders, payloadHash: String,
        credentials: AWSCredentials, date: Date = Date()
    ) {
        let stamps = SigV4Date.stamps(date)
        headers.remove(name: "authorization")
        headers.replaceOrAdd(name: "x-amz-date", value: stamps.timestamp)
        headers.replaceOrAdd(name: "x-amz-content-sha256", value: payloadHash)
        if let token = credentials.sessionToken {
            headers.replaceOrAdd(name: "x-amz-security-token", value: token)
        } else {
            headers.remove(name: "x-amz-security-token")  // left from signing with earlier, temporary credentials
        }
        let parts = SigV4URL(url)
        let canonical = canonicalHeaders(headers, host: parts.hostHeader)
        let request = canonicalRequest(
            method: method, parts: parts, canonicalQuery: canonicalQuery(parts.query), headers: canonical,
            payloadHash: payloadHash)
        let scope = credentialScope(day: stamps.day)
        let signature = signature(
            canonicalRequest: request, timestamp: stamps.timestamp, day: stamps.day, scope: scope,
            secretAccessKey: credentials.secretAccessKey)
        headers.add(
            name: "Authorization",
            value: "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope), "
                + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)")
    }

    /// Signs `request` in place (its method, URL and headers); see ``sign(method:url:headers:payloadHash:credentials:date:)``.
    public func sign(
        _ request: inout HTTPRequest, payloadHash: String, credentials: AWSCredentials, date: Date = Date()
    ) {
        sign(
            method: request.method, url: request.url, headers: &request.headers, payloadHash: payloadHash,
            credentials: credentials, date: date)
    }

    /// A presigned URL for `method` on `url`, valid for `expires` seconds (1…604800).
    ///
    /// `expires` outside that range is a programming error; validate user input first with
    /// ``PresignExpiry/init(seconds:)`` and call ``presign(method:url:expiry:credentials:date:)``.
    public func presign(
        method: String, url: String, expires: Int, credentials: AWSCredentials, date: Date = Date()
    ) -> String {
        precondition(PresignExpiry.range.contains(expires), "presign expiry must be 1...604800 seconds")
        return presign(
            method: method, url: url, expiry: PresignExpiry(unchecked: expires), credentials: credentials,
            date: date)
    }

    /// A presigned URL for `method` on `url`, valid for `expiry`.
    ///
    /// The URL's own query parameters are kept (re-encoded canonically, in their order), followed by
    /// `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders=host`,
    /// `X-Amz-Security-Token` when the credentials have a session token, and `X-Amz-Signature`. The payload is
    /// `UNSIGNED-PAYLOAD`.
    public func presign(
        method: String, url: String, expiry: PresignExpiry, credentials: AWSCredentials, date: Date = Date()
    ) -> String {
        let stamps = SigV4Date.stamps(date)
        let parts = SigV4URL(url)
        let scope = credentialScope(day: stamps.day)
        var query = queryPairs(parts.query).map { "\($0.name)=\($0.value)" }
        func add(_ name: String, _ value: String) {
            query.append("\(name)=\(AWSURIEncoding.encode(value, keepSlash: false))")
        }
        add("X-Amz-Algorithm", Self.algorithm)
        add("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)")
        add("X-Amz-Date", stamps.timestamp)
        add("X-Amz-Expires", String(expiry.seconds))
        add("X-Amz-SignedHeaders", "host")
        if let token = credentials.sessionToken { add("X-Amz-Security-Token", token) }
        let queryString = query.joined(separator: "&")
        let canonical = CanonicalHeaders(text: "host:\(parts.hostHeader)\n", signedHeaders: "host")
        let request = canonicalRequest(
            method: method, parts: parts, canonicalQuery: canonicalQuery(queryString), headers: canonical,
            payloadHash: Self.unsignedPayload)
        let signature = signature(
            canonicalRequest: request, timestamp: stamps.timestamp, day: stamps.day, scope: scope,
            secretAccessKey: credentials.secretAccessKey)
        return parts.prefix + parts.path + "?" + queryString + "&X-Amz-Signature=" + signature
    }
}
