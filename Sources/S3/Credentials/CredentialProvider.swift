/// Something that yields AWS credentials: fixed values, the environment, a file, STS, a metadata service.
public protocol CredentialProvider: Sendable {
    /// Returns current credentials, refreshing temporary ones before they expire.
    func credentials() async throws(CredentialError) -> AWSCredentials
}

/// No credentials could be found or fetched. The message names the source and what is missing, never a secret.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public enum Code: Sendable, Equatable {
        /// The source is not set up here (no variables, no file, no metadata service); a chain moves on.
        case notConfigured
        /// The source is set up but incomplete or malformed (a key without its secret, an unreadable token file).
        case invalidConfiguration
        /// The source is set up but fetching failed (STS or a metadata service answered an error or was
        /// unreachable).
        case fetchFailed
    }

    /// The kind of failure.
    public let code: Code
    /// The source, e.g. `environment` or `shared config files`; empty when not known.
    public let source: String
    /// A message fit for a user.
    public let message: String

    public init(_ message: String) {
        self.init(code: .fetchFailed, source: "", message: message)
    }

    public init(code: Code, source: String, message: String) {
        self.code = code
        self.source = source
        self.message = message
    }

    public var description: String { source.isEmpty ? message : "\(source): \(message)" }
}

/// Fixed credentials.
public struct StaticCredentialProvider: CredentialProvider {
    /// The credentials returned.
    public let value: AWSCredentials

    public init(_ value: AWSCredentials) { self.value = value }

    public func credentials() async throws(CredentialError) -> AWSCredentials { value }
}
