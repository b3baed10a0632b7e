import Foundation
import HTTPTransport

/// AWS Signature Version 4 for S3: header signing and presigned URLs.
///
/// Canonical requests follow S3's rules: the path is URI-encoded once with `/` kept, query names and values are
/// encoded with `/` encoded, and headers are trimmed and sorted.
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

    /// Signs a request in place: adds `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` when the
    /// credentials have one, and `Authorization`.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - url: The full, already-encoded URL the request goes to.
    ///   - headers: The headers to send; `host` is signed from the URL.
    ///   - payloadHash: Lower-case hex SHA-256 of the body, or ``unsignedPayload``.
    public func sign(
        method: String, url: String, headers: inout HTTPHeaders, payloadHash: String,
        credentials: AWSCredentials, date: Date = Date()
    ) {
        fatalError("SigV4Signer.sign is not implemented yet")
    }

    /// A presigned URL for `method` on `url`, valid for `expires` seconds (1…604800).
    public func presign(
        method: String, url: String, expires: Int, credentials: AWSCredentials, date: Date = Date()
    ) -> String {
        fatalError("SigV4Signer.presign is not implemented yet")
    }
}
