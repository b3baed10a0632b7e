/// A bucket, prefix or repository value that cannot name an S3 location. The message names the bad value's input.
public struct SyncLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input that is wrong (`s3-prefix`, `repo`, …).
    public let input: String
    /// Why it is wrong.
    public let message: String

    public init(input: String, message: String) {
        self.input = input
        self.message = message
    }

    public var description: String { "invalid \(input): \(message)" }
}
