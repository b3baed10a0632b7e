import Foundation
import Hashing

/// One object in a listing.
public struct S3ObjectSummary: Sendable, Equatable {
    /// The object key, decoded.
    public var key: String
    /// The size in bytes.
    public var size: Int64
    /// The ETag, with its quotes.
    public var etag: String?
    /// `LastModified` as S3 sent it (ISO 8601).
    public var lastModified: String?
    /// The storage class, e.g. `STANDARD`.
    public var storageClass: String?

    public init(key: String, size: Int64, etag: String? = nil, lastModified: String? = nil, storageClass: String? = nil)
    {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.storageClass = storageClass
    }
}

/// One page of a ListObjectsV2 answer.
public struct ListObjectsV2Page: Sendable, Equatable {
    /// Objects on this page, keys decoded.
    public var objects: [S3ObjectSummary]
    /// Common prefixes (with a delimiter), decoded.
    public var commonPrefixes: [String]
    /// Whether more pages follow.
    public var isTruncated: Bool
    /// The token for the next page.
    public var nextContinuationToken: String?

    /// Parses a `ListBucketResult`, decoding keys and prefixes when `EncodingType` is `url`.
    package static func parse(_ bytes: [UInt8]) throws(S3Error) -> ListObjectsV2Page {
        let root = try XMLElementNode.parse(bytes)
        guard root.name == "ListBucketResult" else {
            throw S3Error(code: .integrity, message: "S3 sent \(root.name) where ListBucketResult was expected")
        }
        let urlEncoded = root.text(of: "EncodingType") == "url"
        func decode(_ text: String) throws(S3Error) -> String {
            guard urlEncoded else { return text }
            guard let decoded = S3KeyDecoding.formDecode(text) else {
                throw S3Error(code: .integrity, message: "S3 sent a listing key that is not valid URL encoding")
            }
            return decoded
        }
        var objects: [S3ObjectSummary] = []
        for item in root.children("Contents") {
            guard let key = item.text(of: "Key") else { continue }
            objects.append(
                S3ObjectSummary(
                    key: try decode(key), size: Int64(item.text(of: "Size") ?? "") ?? 0, etag: item.text(of: "ETag"),
                    lastModified: item.text(of: "LastModified"), storageClass: item.text(of: "StorageClass")))
        }
        var prefixes: [String] = []
        for item in root.children("CommonPrefixes") {
            if let prefix = item.text(of: "Prefix") { prefixes.append(try decode(prefix)) }
        }
        let token = root.text(of: "NextContinuationToken")
        return ListObjectsV2Page(
            objects: objects, commonPrefixes: prefixes, isTruncated: root.text(of: "IsTruncated") == "true",
            nextContinuationToken: token?.isEmpty == true ? nil : token)
    }
}

/// The fields of an S3 `<Error>` document.
package struct S3ErrorBody: Sendable, Equatable {
    package var code: String?
    package var message: String?
    package var requestID: String?
    package var region: String?

    /// Parses an `<Error>` document; `nil` when `bytes` is not one.
    package static func parse(_ bytes: [UInt8]) -> S3ErrorBody? {
        guard !bytes.isEmpty, let root = try? XMLElementNode.parse(bytes), root.name == "Error" else { return nil }
        return S3ErrorBody(
            code: root.text(of: "Code"), message: root.text(of: "Message"), requestID: root.text(of: "RequestId"),
            region: root.text(of: "Region"))
    }
}

/// A key that DeleteObjects could not delete.
public struct S3DeleteFailure: Sendable, Equatable {
    /// The key.
    public var key: String
    /// The S3 error code, e.g. `AccessDenied`.
    public var code: String
    /// S3's message.
    public var message: String

    public init(key: String, code: String, message: String) {
        self.key = key
        self.code = code
        self.message = message
    }
}

/// The answer to one DeleteObjects request.
package struct DeleteObjectsResult: Sendable, Equatable {
    package var deleted: [String]
    package var failures: [S3DeleteFailure]

    package static func parse(_ bytes: [UInt8]) throws(S3Error) -> DeleteObjectsResult {
        let root = try XMLElementNode.parse(bytes)
        guard root.name == "DeleteResult" else {
            throw S3Error(code: .integrity, message: "S3 sent \(root.name) where DeleteResult was expected")
        }
        return DeleteObjectsResult(
            deleted: root.children("Deleted").compactMap { $0.text(of: "Key") },
            failures: root.children("Error").map {
                S3DeleteFailure(
                    key: $0.text(of: "Key") ?? "", code: $0.text(of: "Code") ?? "",
                    message: $0.text(of: "Message") ?? "")
            })
    }
}

/// `InitiateMultipartUploadResult`: the upload id.
package enum InitiateMultipartUploadResult {
    package static func parseUploadID(_ bytes: [UInt8]) throws(S3Error) -> String {
        let root = try XMLElementNode.parse(bytes)
        guard root.name == "InitiateMultipartUploadResult", let id = root.text(of: "UploadId"), !id.isEmpty else {
            throw S3Error(code: .integrity, message: "S3 sent no UploadId in its CreateMultipartUpload answer")
        }
        return id
    }
}

/// `CompleteMultipartUploadResult`, which S3 may send as a 200 whose body is an `<Error>`.
package enum CompleteMultipartUploadResult {
    /// Returns the ETag of the completed object, or throws the error hidden in a 200 answer.
    package static func parseETag(_ bytes: [UInt8], requestID: String?) throws(S3Error) -> String? {
        let root = try XMLElementNode.parse(bytes)
        if root.name == "Error" {
            let code = root.text(of: "Code")
            throw S3Error(
                code: S3Error.classify(s3Code: code, status: 500),
                message: "CompleteMultipartUpload failed: \(root.text(of: "Message") ?? "S3 sent an error")",
                s3Code: code, status: 200, requestID: root.text(of: "RequestId") ?? requestID)
        }
        guard root.name == "CompleteMultipartUploadResult" else {
            throw S3Error(
                code: .integrity, message: "S3 sent \(root.name) where CompleteMultipartUploadResult was expected")
        }
        return root.text(of: "ETag")
    }
}

/// Decoding of keys S3 sends with `encoding-type=url`.
package enum S3KeyDecoding {
    /// Decodes `%XX` escapes and `+` (a space), as S3's `encoding-type=url` produces; `nil` for bad escapes
    /// or bytes that are not UTF-8.
    package static func formDecode(_ text: String) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = Hex.decodeByte(high: high, low: low)
                else { return nil }
                out.append(value)
            default: out.append(byte)
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}

extension Hex {
    fileprivate static func decodeByte(high: UInt8, low: UInt8) -> UInt8? {
        guard let bytes = Hex.decode(String(decoding: [high, low], as: UTF8.self)), bytes.count == 1 else {
            return nil
        }
        return bytes[0]
    }
}
