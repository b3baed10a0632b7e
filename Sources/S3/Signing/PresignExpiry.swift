/// How long a presigned URL stays valid: 1 second to 7 days (604800 seconds), as S3 allows.
public struct PresignExpiry: Sendable, Equatable, CustomStringConvertible {
    /// The allowed number of seconds.
    public static let range: ClosedRange<Int> = 1...604_800

    /// The longest expiry S3 accepts: 7 days.
    public static let maximum = PresignExpiry(unchecked: 604_800)

    /// The number of seconds.
    public let seconds: Int

    /// Validates `seconds`, throwing ``SigV4Error/Code/invalidExpiry`` outside 1…604800.
    public init(seconds: Int) throws(SigV4Error) {
        guard Self.range.contains(seconds) else {
            throw SigV4Error(
                code: .invalidExpiry,
                message: "presigned URL expiry must be between 1 and 604800 seconds (7 days), got \(seconds)")
        }
        self.seconds = seconds
    }

    init(unchecked seconds: Int) { self.seconds = seconds }

    public var description: String { "\(seconds)s" }
}

/// A signing request that cannot be honoured. The message never holds a key, a signature or a query string.
public struct SigV4Error: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Equatable {
        /// A presigned URL's expiry is outside 1…604800 seconds.
        case invalidExpiry
    }

    /// The kind of failure.
    public let code: Code
    /// A message fit for a user.
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
