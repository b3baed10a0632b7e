import HTTPTransport

/// A failed S3 operation.
///
/// Carries what a user or a caller needs to decide what to do: a coarse ``Code``, the S3 error code string
/// (`NoSuchKey`, `SlowDown`, …), a message, the HTTP status and the request id. It never holds a secret key,
/// a session token, a signature, an `Authorization` header or a presigned query string.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public enum Code: Sendable, Equatable {
        /// A bad argument: bucket name, key, endpoint URL, expiry, option combination.
        case invalidInput
        /// The bucket, key or upload does not exist.
        case notFound
        /// The request was refused: missing or wrong credentials, a policy, a signature mismatch.
        case accessDenied
        /// A conditional request (`If-Match` / `If-None-Match`) did not hold.
        case preconditionFailed
        /// The bucket lives in another region than the one asked for.
        case wrongRegion
        /// Data did not match its checksum, or a response could not be understood.
        case integrity
        /// No HTTP response: connection, TLS, timeout.
        case network
        /// S3 answered with a server error or throttling after all retries.
        case serviceUnavailable
        /// A local file could not be read or written.
        case localFile
        /// Anything else S3 answered with.
        case other
    }

    /// The coarse kind of failure.
    public var code: Code
    /// The S3 error code string from the response, e.g. `NoSuchKey`, when there was one.
    public var s3Code: String?
    /// A message fit for a user.
    public var message: String
    /// The HTTP status of the response, when there was one.
    public var status: Int?
    /// The `x-amz-request-id` of the response, when there was one.
    public var requestID: String?
    /// The region S3 says the bucket is in (from `x-amz-bucket-region` or the error body).
    public var bucketRegion: String?
    /// The transport failure behind a ``Code/network`` error.
    public var transportError: HTTPTransportError?
    /// How many attempts were made. A conditional write refused (412) after more than one attempt may have
    /// succeeded the first time: HEAD and compare before calling it a conflict.
    public var attempts: Int = 1
    /// For an ``Code/accessDenied`` answer: the IAM permission the call needed (its message names it and the
    /// statement to add).
    public var deniedPermission: S3Permission?

    public init(
        code: Code, message: String, s3Code: String? = nil, status: Int? = nil, requestID: String? = nil,
        bucketRegion: String? = nil, transportError: HTTPTransportError? = nil
    ) {
        self.code = code
        self.s3Code = s3Code
        self.message = message
        self.status = status
        self.requestID = requestID
        self.bucketRegion = bucketRegion
        self.transportError = transportError
    }

    /// An ``Code/invalidInput`` error.
    public static func invalidInput(_ message: String) -> S3Error {
        S3Error(code: .invalidInput, message: message)
    }

    public var description: String {
        var text = message
        var details: [String] = []
        if let s3Code { details.append(s3Code) }
        if let status { details.append("HTTP \(status)") }
        if let requestID { details.append("request id \(requestID)") }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        return text
    }
}

extension S3Error {
    /// Maps an S3 error code string and HTTP status to a ``Code``.
    static func classify(s3Code: String?, status: Int) -> Code {
        switch s3Code {
        case "NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NotFound", "NoSuchVersion": return .notFound
        case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
            "TokenRefreshRequired", "AllAccessDisabled", "AccountProblem", "InvalidObjectState", "Forbidden":
            return .accessDenied
        case "PreconditionFailed", "ConditionalRequestConflict": return .preconditionFailed
        case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            return .wrongRegion
        case "BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum": return .integrity
        case "InvalidBucketName", "KeyTooLongError", "InvalidArgument", "InvalidRange", "EntityTooSmall",
            "EntityTooLarge", "InvalidPart", "InvalidPartOrder", "MalformedXML":
            return .invalidInput
        case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling",
            "ThrottlingException", "RequestThrottled":
            return .serviceUnavailable
        default: break
        }
        switch status {
        case 301, 307: return .wrongRegion
        case 401, 403: return .accessDenied
        case 404: return .notFound
        case 412: return .preconditionFailed
        case 429, 500...599: return .serviceUnavailable
        case 400...499: return .other
        default: return .other
        }
    }
}
