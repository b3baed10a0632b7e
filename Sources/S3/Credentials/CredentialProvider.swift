/// Something that yields AWS credentials: fixed values, the environment, a file, STS, a metadata service.
public protocol CredentialProvider: Sendable {
    /// Returns current credentials, refreshing temporary ones before they expire.
    func credentials() async throws(CredentialError) -> AWSCredentials
}

/// No credentials could be found or fetched. The message names the source, never a secret.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    /// A message fit for a user.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Fixed credentials.
public struct StaticCredentialProvider: CredentialProvider {
    /// The credentials returned.
    public let value: AWSCredentials

    public init(_ value: AWSCredentials) { self.value = value }

    public func credentials() async throws(CredentialError) -> AWSCredentials { value }
}
