import Tarball

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A cache store could not do what was asked. The message is fit for a user and names the key or path involved.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable, Equatable, Codable {
        /// A bad argument: an empty key, a source path that is not a directory, a bad limit.
        case invalidInput
        /// The thing asked for does not exist (an archive file, a directory).
        case notFound
        /// The file system refused access (EACCES, EPERM, a read-only cache directory).
        case accessDenied
        /// An archive failed its checksum or could not be decoded, or was hostile.
        case dataIntegrity
        /// Any other I/O failure (disk full, a failed rename, …).
        case io
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

    /// The exit status the command line reports for this error.
    public var exitStatus: ExitStatus {
        switch code {
        case .invalidInput: .invalidInput
        case .notFound: .notFound
        case .accessDenied: .accessDenied
        case .dataIntegrity: .dataIntegrity
        case .io: .failed
        }
    }

    /// Wraps a tarball engine failure, keeping its message.
    package init(_ error: TarballError, context: String? = nil) {
        let code: Code =
            switch error.code {
            case .unsafeEntry, .unsupportedEntry, .corrupted, .checksumMismatch: .dataIntegrity
            case .notADirectory: .invalidInput
            case .io: Self.looksLikeAccessDenied(error.message) ? .accessDenied : .io
            }
        self.init(code: code, message: context.map { "\($0): \(error.message)" } ?? error.message)
    }

    /// Wraps a failed system call on `path`.
    package init(errno number: Int32, operation: String, path: String) {
        let code: Code =
            switch number {
            case EACCES, EPERM, EROFS: .accessDenied
            case ENOENT: .notFound
            default: .io
            }
        self.init(code: code, message: "\(operation) \(path): \(String(cString: strerror(number)))")
    }

    private static func looksLikeAccessDenied(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return lowered.contains("permission denied") || lowered.contains("read-only file system")
            || lowered.contains("operation not permitted")
    }
}
