/// How a restore or save tells its story: on a runner as workflow commands, outputs, state and a step summary;
/// elsewhere as plain lines on stderr and the result (or `--json`) on stdout. Every message is redacted.
public struct StepReporter: Sendable {
    /// The runner's channels (inactive outside Actions).
    public let runner: RunnerIO
    /// Where results go.
    public let output: CommandOutput

    public init(runner: RunnerIO, output: CommandOutput) {
        self.runner = runner
        self.output = output
    }

    /// Prints the masks. Call first, before anything else is printed.
    public func maskSecrets() {
        for line in runner.maskCommands { TerminalOutput.writeOutput(line + "\n") }
    }

    /// A warning: `::warning::` on a runner, `storage-cache: warning: …` on stderr elsewhere.
    public func warn(_ message: String) { say(message, label: "warning", onRunner: { WorkflowCommand.warning($0) }) }

    /// A note that is not a problem (a skipped restore or save): a plain log line on a runner (as `core.info`),
    /// `storage-cache: note: …` on stderr elsewhere.
    public func notice(_ message: String) { say(message, label: "note", onRunner: { WorkflowCommand.escapeData($0) }) }

    /// An error message without a JSON object: `::error::` on a runner, `storage-cache: error: …` on stderr.
    public func error(_ message: String) { say(message, label: "error", onRunner: { WorkflowCommand.error($0) }) }

    /// `message`, redacted: `onRunner(message)` on stdout on a runner, `storage-cache: <label>: …` on stderr
    /// elsewhere.
    private func say(_ message: String, label: String, onRunner: (String) -> String) {
        let message = runner.secrets.redact(message)
        if runner.isActions {
            TerminalOutput.writeOutput(onRunner(message) + "\n")
        } else {
            TerminalOutput.writeError(TerminalOutput.clearLine + "storage-cache: \(label): \(message)\n")
        }
    }

    /// A failure: `::error::` on a runner (and the message on stderr, with `--json` an error object on stdout).
    public func fail(_ error: StoreError) {
        let redacted = StoreError(code: error.code, message: runner.secrets.redact(error.message))
        if runner.isActions { TerminalOutput.writeOutput(WorkflowCommand.error(redacted.message) + "\n") }
        output.fail(redacted)
    }

    /// Runs a command body; a thrown error is reported (``fail(_:)``) and becomes its exit status.
    public func run(_ body: () async throws(StoreError) -> ExitStatus) async -> ExitStatus {
        do {
            return try await body()
        } catch {
            fail(error)
            return error.exitStatus
        }
    }

    /// Prints a result line (or `value` as JSON), redacted.
    public func emit<T: Encodable>(_ value: T, line: String) {
        if output.json {
            TerminalOutput.writeOutput(runner.secrets.redact(CommandOutput.encode(value)) + "\n")
        } else {
            TerminalOutput.writeOutput(runner.secrets.redact(line) + "\n")
        }
    }

    /// Runs `body` inside `::group::title` … `::endgroup::` on a runner.
    public func group<T>(_ title: String, _ body: () async throws(StoreError) -> T) async throws(StoreError) -> T {
        guard runner.isActions else { return try await body() }
        TerminalOutput.writeOutput(WorkflowCommand.group(runner.secrets.redact(title)) + "\n")
        defer { TerminalOutput.writeOutput(WorkflowCommand.endGroup + "\n") }
        return try await body()
    }

    /// The restore step's outputs: `cache-hit`, `cache-source`, `cache-matched-key`, `restored-files`,
    /// `restored-bytes` (both `0` with lookup-only), `primary-store` (`github-actions`, `local` or `none`),
    /// `cache-source-reason` (why that store won) and
    /// `s3-generation` (the S3 generation the tree corresponds to, empty when unknown).
    public static func outputs(for report: CacheRestoreReport) -> [(String, String)] {
        [
            ("cache-hit", report.cacheHit ? "true" : "false"),
            ("cache-source", report.source.rawValue),
            ("cache-matched-key", report.matchedKey ?? ""),
            // With lookup-only nothing is restored (the summary and --json still show what was found).
            ("restored-files", report.lookupOnly ? "0" : String(report.files)),
            ("restored-bytes", report.lookupOnly ? "0" : String(report.contentBytes)),
            ("primary-store", report.primaryStore ?? "none"),
            ("cache-source-reason", report.sourceReason ?? ""),
            ("s3-generation", report.generation.map(String.init) ?? ""),
        ]
    }

    /// The step summary of a restore: a Markdown table.
    public static func summary(for report: CacheRestoreReport) -> String {
        var rows: [(String, String)] = [
            ("Key", code(report.key)),
            ("Source", report.source.rawValue),
            ("Matched key", report.matchedKey.map(code) ?? "—"),
            ("Cache hit", report.cacheHit ? "true" : "false"),
            ("Files", String(report.files)),
            ("Bytes", ByteCount.format(report.contentBytes)),
            ("Time", AgeLimit.format(report.duration)),
        ]
        if let primary = report.primaryStore {
            rows.append(
                (
                    "Primary (\(primary))",
                    report.primaryOutcome?.rawValue ?? (report.skippedByMode ? "skipped" : "error")
                ))
        }
        if let s3 = report.s3Outcome { rows.append(("S3", s3)) }
        if report.primaryWarmed { rows.append(("Primary warmed", "yes")) }
        if let reason = report.sourceReason { rows.append(("Why", reason)) }
        if let generation = report.generation { rows.append(("S3 generation", String(generation))) }
        return table(title: "storage-cache restore" + (report.lookupOnly ? " (lookup only)" : ""), rows: rows)
            + noteList(report.notices) + warningList(report.warnings)
    }

    /// The step summary of a save: a Markdown table.
    public static func summary(for report: CacheSaveReport) -> String {
        var rows: [(String, String)] = [("Key", code(report.key))]
        rows.append(("Primary store", report.primaryStore ?? "none"))
        if let primary = report.primary {
            rows.append(
                (
                    "Primary (\(report.primaryStore ?? "primary"))",
                    "\(primary.outcome.rawValue): \(primary.files) files, \(ByteCount.format(primary.bytes)) archive"
                ))
        }
        if let s3 = report.s3 {
            var cell = "\(s3.outcome) \(code(s3.location))"
            if s3.outcome != "failed" {
                cell += ": \(s3.uploadedFiles) uploaded (\(ByteCount.format(s3.uploadedBytes))), "
                cell += "\(s3.deletedObjects) deleted, generation \(s3.generation.map(String.init) ?? "—")"
            }
            rows.append(("S3", cell))
        }
        rows.append(("Time", AgeLimit.format(report.duration)))
        return table(title: "storage-cache save", rows: rows) + noteList(report.notices) + warningList(report.warnings)
    }

    private static func code(_ text: String) -> String { "`" + text.replacingOccurrences(of: "`", with: "'") + "`" }

    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    private static func table(title: String, rows: [(String, String)]) -> String {
        var lines = ["### \(title)", "", "| | |", "| --- | --- |"]
        lines += rows.map { "| \(cell($0.0)) | \(cell($0.1)) |" }
        return lines.joined(separator: "\n") + "\n\n"
    }

    private static func noteList(_ notes: [String]) -> String {
        guard !notes.isEmpty else { return "" }
        return notes.map { "> [!NOTE]\n> \(cell($0))\n" }.joined(separator: "\n") + "\n"
    }

    private static func warningList(_ warnings: [String]) -> String {
        guard !warnings.isEmpty else { return "" }
        return warnings.map { "> [!WARNING]\n> \(cell($0))\n" }.joined(separator: "\n") + "\n"
    }
}
