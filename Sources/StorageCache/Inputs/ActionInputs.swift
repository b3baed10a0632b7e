import Foundation

/// GitHub-Action-style inputs read from the environment, exactly as the runner passes them: the input `s3-bucket`
/// arrives as `INPUT_S3-BUCKET` (upper-cased, spaces turned into `_`, hyphens kept).
///
/// Values are read as `@actions/core` reads them: surrounding whitespace is trimmed and an empty value counts as
/// not given; booleans are `true|True|TRUE|false|False|FALSE`; list inputs hold one item per line.
public struct ActionInputs: Sendable {
    /// The environment the inputs are read from.
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The variable that carries input `name`: `INPUT_` + the name upper-cased with spaces as `_`.
    public static func variableName(for name: String) -> String {
        "INPUT_" + name.replacingOccurrences(of: " ", with: "_").uppercased()
    }

    /// The trimmed value of input `name`, or `nil` when it is unset or blank.
    public func string(_ name: String) -> String? {
        guard let raw = environment[Self.variableName(for: name)] else { return nil }
        let value = raw.trimmingSpaces()
        return value.isEmpty ? nil : value
    }

    /// The boolean input `name`, or `nil` when it is unset or blank.
    public func bool(_ name: String, flag: String? = nil) throws(InputError) -> Bool? {
        guard let value = string(name) else { return nil }
        return try Self.parseBool(value, input: name, flag: flag)
    }

    /// The items of list input `name`: one per line, each trimmed, blank lines dropped.
    public func list(_ name: String) -> [String] {
        guard let raw = environment[Self.variableName(for: name)] else { return [] }
        return Self.parseList(raw)
    }

    /// Parses a boolean the way `@actions/core`'s `getBooleanInput` does (YAML 1.2 core schema).
    public static func parseBool(_ value: String, input: String, flag: String? = nil) throws(InputError) -> Bool {
        switch value.trimmingSpaces() {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            throw InputError(
                input: input, flag: flag,
                message: "must be true or false (true|True|TRUE|false|False|FALSE), not \"\(value)\"")
        }
    }

    /// Splits a multi-line value into trimmed, non-blank lines.
    public static func parseList(_ raw: String) -> [String] {
        raw.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { String($0).trimmingSpaces() }
            .filter { !$0.isEmpty }
    }
}
