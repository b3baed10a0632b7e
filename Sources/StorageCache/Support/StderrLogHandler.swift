import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A swift-log handler for the command line: one line per message on stderr, `storage-cache: <level>: message`,
/// with metadata appended as `key=value`.
public struct StderrLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let program: String

    public init(program: String = "storage-cache", logLevel: Logger.Level) {
        self.program = program
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = "\(program): \(event.level): \(event.message)"
        if !merged.isEmpty {
            line += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        TerminalOutput.writeError(TerminalOutput.clearLine + line + "\n")
    }
}

/// Raw writes to the standard streams, safe from any thread.
package enum TerminalOutput {
    /// Moves to the start of the line and erases it, when stderr is a terminal.
    package static var clearLine: String { stderrIsTerminal ? "\r\u{1B}[2K" : "" }

    /// Whether stderr is a terminal.
    package static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Writes `text` to stderr.
    package static func writeError(_ text: String) { writeAll(STDERR_FILENO, text) }

    /// Writes `text` to stdout.
    package static func writeOutput(_ text: String) { writeAll(STDOUT_FILENO, text) }

    private static func writeAll(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}
