/// The IAM permission an S3 call needs, as named in an AccessDenied error: the action, the resource ARN, and the
/// policy statement that grants it.
public struct S3Permission: Sendable, Equatable, CustomStringConvertible {
    /// The IAM action: `s3:ListBucket`, `s3:GetObject`, `s3:PutObject`, `s3:DeleteObject`, `kms:GenerateDataKey`, …
    public var action: String
    /// The resource ARN the statement names: `arn:aws:s3:::<bucket>` for `s3:ListBucket`,
    /// `arn:aws:s3:::<bucket>/<prefix>/*` for object actions, the KMS key for `kms:*`.
    public var resource: String

    public init(action: String, resource: String) {
        self.action = action
        self.resource = resource
    }

    /// The policy statement to add, as one line of JSON.
    public var statement: String {
        "{\"Effect\": \"Allow\", \"Action\": \"\(action)\", \"Resource\": \"\(resource)\"}"
    }

    public var description: String { "\(action) on \(resource)" }

    /// The ARN of `bucket`.
    public static func bucketARN(_ bucket: String) -> String { "arn:aws:s3:::\(bucket)" }

    /// The ARN of the objects under `prefix` in `bucket` (`…/<prefix>/*`), or of `key` when there is no prefix.
    public static func objectARN(bucket: String, prefix: String?, key: String?) -> String {
        if let prefix {
            let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
            return "arn:aws:s3:::\(bucket)/" + (trimmed.isEmpty ? "*" : "\(trimmed)/*")
        }
        return "arn:aws:s3:::\(bucket)/\(key ?? "*")"
    }

    /// The S3 action behind the API call `operation` (`ListObjectsV2` → `s3:ListBucket`, `HeadObject` →
    /// `s3:GetObject`, multipart calls → `s3:PutObject`, `DeleteObjects` → `s3:DeleteObject`), `nil` for an unknown
    /// name.
    public static func action(forOperation operation: String) -> String? {
        switch operation {
        case "ListObjectsV2", "ListObjects", "HeadBucket": "s3:ListBucket"
        case "GetObject", "HeadObject": "s3:GetObject"
        case "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "CopyObject":
            "s3:PutObject"
        case "AbortMultipartUpload": "s3:AbortMultipartUpload"
        case "ListMultipartUploads": "s3:ListBucketMultipartUploads"
        case "DeleteObject", "DeleteObjects": "s3:DeleteObject"
        case "CreateBucket": "s3:CreateBucket"
        case "DeleteBucket": "s3:DeleteBucket"
        default: nil
        }
    }

    /// The permission a denied call lacked: the action S3's message names (`… is not authorized to perform:
    /// kms:Decrypt on resource: …`) when it names one; `kms:Decrypt` (reads) or `kms:GenerateDataKey` (writes) when
    /// the message is about KMS; else the call's own action.
    public static func denied(operation: String, bucket: String, key: String?, prefix: String?, message: String?)
        -> S3Permission?
    {
        let named = message.flatMap { word(after: "perform: ", in: $0) }
        let namedResource = message.flatMap { word(after: "on resource: ", in: $0) }
        if let named, named.hasPrefix("kms:") {
            return S3Permission(action: named, resource: namedResource ?? "the KMS key (s3-kms-key-id, or aws/s3)")
        }
        if message?.localizedCaseInsensitiveContains("kms") == true {
            let action = operation == "GetObject" || operation == "HeadObject" ? "kms:Decrypt" : "kms:GenerateDataKey"
            return S3Permission(action: action, resource: "the KMS key (s3-kms-key-id, or aws/s3)")
        }
        guard let action = named ?? self.action(forOperation: operation) else { return nil }
        let resource =
            action == "s3:ListBucket" || action == "s3:ListBucketMultipartUploads" || action == "s3:CreateBucket"
                || action == "s3:DeleteBucket"
            ? bucketARN(bucket) : objectARN(bucket: bucket, prefix: prefix, key: key)
        return S3Permission(action: action, resource: resource)
    }

    /// The word after `marker` in `text` (up to a space, `,` or the end), e.g. the action in `perform: s3:GetObject`.
    static func word(after marker: String, in text: String) -> String? {
        guard let range = text.range(of: marker) else { return nil }
        let word = text[range.upperBound...].prefix { $0 != " " && $0 != "," && $0 != "\n" }
        let trimmed = word.hasSuffix(".") ? word.dropLast() : word
        return trimmed.isEmpty ? nil : String(trimmed)
    }
}
