/// An input (a GitHub Action `with:` value, its `INPUT_*` variable, or the matching flag) that is missing or
/// malformed. The message names the input and, when there is one, the flag; it never holds a secret.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input's name as an action declares it (`s3-bucket`, `max-sync-size`, …).
    public let input: String
    /// The command-line flag that sets the same value (`--bucket`), when there is one.
    public let flag: String?
    /// Why the value is wrong.
    public let message: String

    public init(input: String, flag: String? = nil, message: String) {
        self.input = input
        self.flag = flag
        self.message = message
    }

    public var description: String {
        "invalid input \(input)" + (flag.map { " (\($0))" } ?? "") + ": \(message)"
    }
}
