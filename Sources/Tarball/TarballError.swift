/// A tarball could not be written, read or safely extracted. The destination is left as it was.
public struct TarballError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Equatable {
        /// An entry tried to leave the destination: absolute path, `..`, or a link resolving outside.
        case unsafeEntry
        /// A device node, fifo or socket.
        case unsupportedEntry
        /// The stream is truncated, or its compression or tar framing is damaged.
        case corrupted
        /// The archive's SHA-256 differs from the one expected.
        case checksumMismatch
        /// A file could not be read or written (permissions, disk full, …).
        case io
        /// The source directory does not exist or is not a directory.
        case notADirectory
    }

    /// The kind of failure.
    public let code: Code
    /// A message fit for a user, naming the entry or path involved.
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
