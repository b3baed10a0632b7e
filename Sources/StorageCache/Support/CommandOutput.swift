#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where a command's result goes: one JSON object on stdout with `--json`, else one line for a person on stdout.
/// Errors go to stderr as a message, and with `--json` also to stdout as `{"error": {...}}`.
public struct CommandOutput: Sendable {
    /// Whether to print JSON.
    public let json: Bool

    public init(json: Bool) {
        self.json = json
    }

    /// Prints a result: `value` as JSON, or `line`.
    public func emit<T: Encodable>(_ value: T, line: @autoclosure () -> String) {
        if json {
            TerminalOutput.writeOutput(Self.encode(value) + "\n")
        } else {
            TerminalOutput.writeOutput(line() + "\n")
        }
    }

    /// Reports a failure: the message on stderr, and with `--json` an error object on stdout.
    public func fail(_ error: StoreError) {
        TerminalOutput.writeError(TerminalOutput.clearLine + "storage-cache: error: \(error.message)\n")
        if json {
            let failure = ErrorReport(
                error: .init(code: error.code.rawValue, message: error.message, exitCode: error.exitStatus.rawValue))
            TerminalOutput.writeOutput(Self.encode(failure) + "\n")
        }
    }

    private struct ErrorReport: Encodable {
        struct Body: Encodable {
            var code: String
            var message: String
            var exitCode: Int32
        }
        var error: Body
    }

    /// `value` as compact JSON with sorted keys and ISO 8601 dates.
    public static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
