/// Why a tree could not be captured at all (a single database that cannot be copied is a warning instead).
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: Sendable, Equatable {
        /// The source is missing or not a directory.
        case invalidSource
        /// A file system operation failed.
        case io
    }

    /// What kind of failure.
    public var code: Code
    /// A message fit for a user.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
