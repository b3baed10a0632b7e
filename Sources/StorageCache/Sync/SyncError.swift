/// A push or pull that could not complete. Messages name the path, key or input involved and never a secret.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Equatable {
        /// A bad input: bucket, prefix, path, limit.
        case invalidInput
        /// A local file or directory could not be read or written.
        case io
        /// S3 refused or failed a request after retries.
        case s3
        /// Access was denied by S3 (missing permission or bad credentials).
        case accessDenied
        /// The S3 copy is damaged: the manifest names a missing or mismatching object.
        case corrupted
        /// A concurrent push committed first and the retry conflicted too.
        case conflict
        /// Nothing is stored at the location.
        case notFound
    }

    /// The kind of failure.
    public let code: Code
    /// A message fit for a user.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
