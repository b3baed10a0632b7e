import Logging
import Synchronization

/// What every command shares: logging to stderr (swift-log; `--verbose` = debug) and result output.
public struct CommandContext: Sendable {
    /// Where results go.
    public let output: CommandOutput
    /// The command's logger.
    public let logger: Logger

    private static let bootstrapped = Mutex(false)

    /// Sets up logging once per process (level `notice`, or `debug` when `verbose`).
    public init(json: Bool, verbose: Bool) {
        let level: Logger.Level = verbose ? .debug : .notice
        Self.bootstrapped.withLock { done in
            guard !done else { return }
            LoggingSystem.bootstrap { _ in StderrLogHandler(logLevel: level) }
            done = true
        }
        var logger = Logger(label: "storage-cache")
        logger.logLevel = level
        self.logger = logger
        self.output = CommandOutput(json: json)
    }

    /// Runs a command body; a thrown error is reported (stderr, and stdout with `--json`) and becomes its
    /// exit status.
    public func run(_ body: () async throws(StoreError) -> ExitStatus) async -> ExitStatus {
        do {
            return try await body()
        } catch {
            output.fail(error)
            return error.exitStatus
        }
    }
}
