import Foundation
import Hashing

/// Server-side encryption of an object.
public enum S3ServerSideEncryption: Sendable, Equatable, CustomStringConvertible {
    /// SSE-S3: keys managed by S3 (`AES256`).
    case s3
    /// SSE-KMS, with a KMS key id or ARN (`nil`: the account's default `aws/s3` key).
    case kms(keyID: String?)
    /// SSE-C: a 32-byte key the caller supplies on every write and read. Never logged or printed.
    case customerKey([UInt8])

    public var description: String {
        switch self {
        case .s3: "SSE-S3"
        case .kms(let keyID): "SSE-KMS(\(keyID ?? "default key"))"
        case .customerKey: "SSE-C(<redacted>)"
        }
    }

    /// The headers that ask for this encryption on a write.
    func writeHeaders() -> [(String, String)] {
        switch self {
        case .s3: return [("x-amz-server-side-encryption", "AES256")]
        case .kms(let keyID):
            var headers = [("x-amz-server-side-encryption", "aws:kms")]
            if let keyID { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", keyID)) }
            return headers
        case .customerKey: return customerKeyHeaders()
        }
    }

    /// `self` when it is an SSE-C key (needed again to read), otherwise `nil`.
    var customerKeyOnly: S3ServerSideEncryption? {
        if case .customerKey = self { return self }
        return nil
    }

    /// The SSE-C headers (algorithm, base64 key, base64 key MD5); empty for other kinds.
    func customerKeyHeaders() -> [(String, String)] {
        guard case .customerKey(let key) = self else { return [] }
        return [
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ("x-amz-server-side-encryption-customer-key", Data(key).base64EncodedString()),
            ("x-amz-server-side-encryption-customer-key-MD5", Data(MD5.digest(key)).base64EncodedString()),
        ]
    }
}

/// How an object is written by ``S3Client/putObject(bucket:key:body:options:)`` and the upload helpers.
public struct S3PutOptions: Sendable, Equatable {
    /// `Content-Type`; `application/octet-stream` when `nil`.
    public var contentType: String?
    /// User metadata, sent as `x-amz-meta-<name>` (names lower-cased by S3).
    public var metadata: [String: String]
    /// The storage class, e.g. `STANDARD_IA`, `GLACIER_IR`.
    public var storageClass: String?
    /// Server-side encryption.
    public var serverSideEncryption: S3ServerSideEncryption?
    /// Send a SHA-256 checksum S3 verifies (`x-amz-checksum-sha256`).
    public var checksumSHA256: Bool
    /// Lower-case hex SHA-256 of the whole body, when the caller already knows it. A single PutObject then uses it
    /// as the signed payload hash and sends it as `x-amz-checksum-sha256`, so the body is not read twice and S3
    /// refuses bytes that changed since they were hashed. Ignored by multipart uploads.
    public var knownSHA256: String?
    /// Write only if the current object's ETag is this (`If-Match`).
    public var ifMatch: String?
    /// Write only if no object exists (`"*"`) or its ETag differs (`If-None-Match`).
    ///
    /// With `"*"`, a 412 for an object whose ETag is this body's MD5 counts as success: it is what a retried
    /// write whose first answer was lost sees (SSE-KMS / SSE-C objects cannot be compared and stay a 412).
    public var ifNoneMatch: String?

    public init(
        contentType: String? = nil, metadata: [String: String] = [:], storageClass: String? = nil,
        serverSideEncryption: S3ServerSideEncryption? = nil, checksumSHA256: Bool = false, ifMatch: String? = nil,
        ifNoneMatch: String? = nil
    ) {
        self.contentType = contentType
        self.metadata = metadata
        self.storageClass = storageClass
        self.serverSideEncryption = serverSideEncryption
        self.checksumSHA256 = checksumSHA256
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
    }

    /// Headers describing the object (type, metadata, class, encryption): for PutObject and CreateMultipartUpload.
    func objectHeaders() -> [(String, String)] {
        var headers: [(String, String)] = [("Content-Type", contentType ?? "application/octet-stream")]
        for name in metadata.keys.sorted(by: { $0.lowercased() < $1.lowercased() }) {
            headers.append(("x-amz-meta-" + name.lowercased(), metadata[name]!))
        }
        if let storageClass { headers.append(("x-amz-storage-class", storageClass)) }
        if let serverSideEncryption { headers.append(contentsOf: serverSideEncryption.writeHeaders()) }
        return headers
    }

    /// `If-Match` / `If-None-Match`.
    func conditionHeaders() -> [(String, String)] {
        var headers: [(String, String)] = []
        if let ifMatch { headers.append(("If-Match", ifMatch)) }
        if let ifNoneMatch { headers.append(("If-None-Match", ifNoneMatch)) }
        return headers
    }
}
