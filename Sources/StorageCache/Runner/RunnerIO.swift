import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The GitHub Actions runner's side channels, used only when `GITHUB_ACTIONS=true`: step outputs
/// (`$GITHUB_OUTPUT`), state for the post step (`$GITHUB_STATE`, read back as `STATE_<name>`), the step summary
/// (`$GITHUB_STEP_SUMMARY`), and workflow commands on stdout (masks, groups, warnings, errors).
///
/// Everything written goes through ``Secrets/redact(_:)`` first.
public struct RunnerIO: Sendable {
    /// Whether this process runs as an Actions step.
    public let isActions: Bool
    /// The files the runner reads, when set.
    public let outputFile: String?
    public let stateFile: String?
    public let summaryFile: String?
    /// The secrets to mask and redact.
    public let secrets: Secrets
    /// Whether a launcher printed the masks already (`STORAGE_CACHE_SECRETS_MASKED=true`).
    public let alreadyMasked: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        isActions = environment["GITHUB_ACTIONS"] == "true"
        func file(_ name: String) -> String? {
            guard let path = environment[name], !path.isEmpty else { return nil }
            return path
        }
        outputFile = file("GITHUB_OUTPUT")
        stateFile = file("GITHUB_STATE")
        summaryFile = file("GITHUB_STEP_SUMMARY")
        secrets = Secrets(environment: environment)
        alreadyMasked = environment["STORAGE_CACHE_SECRETS_MASKED"] == "true"
    }

    /// The `::add-mask::` lines for every secret (empty outside Actions). Print them before anything else.
    public var maskCommands: [String] {
        isActions && !alreadyMasked ? secrets.values.map(WorkflowCommand.addMask) : []
    }

    /// `name<<DELIMITER\nvalue\nDELIMITER\n`, with a random delimiter that does not occur in `value` (the
    /// runner's multi-line-safe file format).
    public static func fileEntry(name: String, value: String) -> String {
        var delimiter: String
        repeat {
            delimiter = "ghadelimiter_" + UUID().uuidString
        } while value.contains(delimiter) || name.contains(delimiter)
        return "\(name)<<\(delimiter)\n\(value)\n\(delimiter)\n"
    }

    /// Appends step outputs to `$GITHUB_OUTPUT`.
    public func setOutputs(_ outputs: [(String, String)]) throws(StoreError) {
        guard isActions, let outputFile else { return }
        try append(outputs.map { Self.fileEntry(name: $0.0, value: secrets.redact($0.1)) }.joined(), to: outputFile)
    }

    /// Appends values for the post step to `$GITHUB_STATE`.
    public func saveState(_ state: [(String, String)]) throws(StoreError) {
        guard isActions, let stateFile else { return }
        try append(state.map { Self.fileEntry(name: $0.0, value: secrets.redact($0.1)) }.joined(), to: stateFile)
    }

    /// Appends Markdown to `$GITHUB_STEP_SUMMARY`.
    public func appendSummary(_ markdown: String) throws(StoreError) {
        guard isActions, let summaryFile else { return }
        try append(secrets.redact(markdown), to: summaryFile)
    }

    private func append(_ text: String, to path: String) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(errno: errno, operation: "open", path: path) }
        defer { close(fd) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw StoreError(errno: errno, operation: "write", path: path)
            }
            bytes = bytes.dropFirst(written)
        }
    }
}
