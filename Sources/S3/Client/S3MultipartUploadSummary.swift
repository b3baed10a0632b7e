import Foundation

/// One multipart upload that was started and neither completed nor aborted (ListMultipartUploads).
public struct S3MultipartUploadSummary: Sendable, Equatable {
    /// The key the upload writes, decoded.
    public var key: String
    /// The upload id.
    public var uploadID: String
    /// When the upload was initiated, `nil` when S3 sent no parsable `Initiated`.
    public var initiated: Date?

    public init(key: String, uploadID: String, initiated: Date?) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// One page of a ListMultipartUploads answer.
package struct ListMultipartUploadsPage: Sendable, Equatable {
    package var uploads: [S3MultipartUploadSummary]
    package var isTruncated: Bool
    package var nextKeyMarker: String?
    package var nextUploadIDMarker: String?

    /// Parses a `ListMultipartUploadsResult`, decoding keys when `EncodingType` is `url`.
    package static func parse(_ bytes: [UInt8]) throws(S3Error) -> ListMultipartUploadsPage {
        let root = try XMLElementNode.parse(bytes)
        guard root.name == "ListMultipartUploadsResult" else {
            throw S3Error(
                code: .integrity, message: "S3 sent \(root.name) where ListMultipartUploadsResult was expected")
        }
        let urlEncoded = root.text(of: "EncodingType") == "url"
        var uploads: [S3MultipartUploadSummary] = []
        for item in root.children("Upload") {
            guard let rawKey = item.text(of: "Key"), let id = item.text(of: "UploadId") else { continue }
            guard let key = urlEncoded ? S3KeyDecoding.formDecode(rawKey) : rawKey else {
                throw S3Error(code: .integrity, message: "S3 sent an upload key that is not valid URL encoding")
            }
            uploads.append(
                S3MultipartUploadSummary(
                    key: key, uploadID: id, initiated: item.text(of: "Initiated").flatMap(parseDate)))
        }
        func marker(_ name: String) -> String? {
            guard let text = root.text(of: name), !text.isEmpty else { return nil }
            return urlEncoded ? S3KeyDecoding.formDecode(text) ?? text : text
        }
        return ListMultipartUploadsPage(
            uploads: uploads, isTruncated: root.text(of: "IsTruncated") == "true",
            nextKeyMarker: marker("NextKeyMarker"), nextUploadIDMarker: root.text(of: "NextUploadIdMarker"))
    }

    /// `2026-12-01T13:22:05.000Z`, with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }
}
