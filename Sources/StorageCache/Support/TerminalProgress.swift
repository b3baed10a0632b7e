import Synchronization

/// A spinner on stderr for long work, when stderr is a terminal: what is happening, bytes so far, elapsed
/// time. Does nothing otherwise (non-interactive runs print only their one-line result).
public final class TerminalProgress: Sendable {
    private struct State {
        var progress = TransferProgress(phase: "starting", bytes: 0)
        var frame = 0
        var finished = false
    }

    private let title: String
    private let state = Mutex(State())
    private let stopwatch = Stopwatch()
    private let enabled: Bool

    /// Starts a spinner titled `title` (e.g. `saving 'key'`), when `enabled` and stderr is a terminal.
    public init(title: String, enabled: Bool = true) {
        self.title = title
        self.enabled = enabled && TerminalOutput.stderrIsTerminal
        guard self.enabled else { return }
        Task { [weak self] in
            while let self, self.render() {
                try? await Task.sleep(for: .milliseconds(120))
            }
        }
    }

    /// The handler to give a store; `nil` when nothing is shown.
    public var handler: ProgressHandler? {
        guard enabled else { return nil }
        return { [weak self] progress in self?.state.withLock { $0.progress = progress } }
    }

    /// Stops the spinner and erases its line.
    public func finish() {
        state.withLock { state in
            if enabled && !state.finished { TerminalOutput.writeError(TerminalOutput.clearLine) }
            state.finished = true
        }
    }

    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    /// Draws one frame; returns false once finished. Writes under the lock so nothing is drawn after `finish`.
    private func render() -> Bool {
        state.withLock { state in
            guard !state.finished else { return false }
            state.frame += 1
            var text = "\(Self.frames[state.frame % Self.frames.count]) \(title): \(state.progress.phase)"
            let bytes = state.progress.bytes
            if let total = state.progress.totalBytes, total > 0 {
                text += bytes > 0 ? " \(ByteCount.format(bytes)) of" : ""
                text += " \(ByteCount.format(total))"
            } else if bytes > 0 {
                text += " \(ByteCount.format(bytes))"
            }
            text += ", \(AgeLimit.format(stopwatch.seconds))"
            TerminalOutput.writeError("\r\u{1B}[2K" + text)
            return true
        }
    }
}
