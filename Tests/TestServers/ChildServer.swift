import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback test server run as a child process (the Python fakes and proxies under `Tests/`): started with a
/// stdin pipe it watches (it exits when stdin closes, so a crashed test run leaves no server behind), ready once it
/// has printed its first stdout line (its port, or a JSON greeting), stopped with SIGKILL.
///
/// SIGKILL, not SIGTERM: a child spawned from a dispatch worker thread inherits that thread's blocked signal mask,
/// so SIGTERM would stay pending forever (and a wait for the exit would hang the suite).
public final class ChildServer: @unchecked Sendable {
    /// The running process.
    public let process: Process
    /// The first line the server printed, without its newline.
    public let firstLine: String
    private let stdin = Pipe()
    private let stopped = NSLock()
    private var isStopped = false

    /// What went wrong starting a server.
    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable arguments` (with `environment`, else the test process's) and waits up to `timeout` for
    /// its first stdout line. Standard error goes to `stderr` (default: discarded).
    public init(
        executable: String, arguments: [String], environment: [String: String]? = nil,
        stderr: FileHandle? = FileHandle.nullDevice, timeout: Duration = .seconds(60)
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        if let stderr { process.standardError = stderr }
        try process.run()
        var line = Data()
        let deadline = ContinuousClock.now + timeout
        let handle = stdout.fileHandleForReading
        // One byte at a time: nothing after the first line is taken from the pipe.
        while !line.contains(UInt8(ascii: "\n")), ContinuousClock.now < deadline {
            guard let chunk = try? handle.read(upToCount: 1), !chunk.isEmpty else { break }
            line.append(chunk)
        }
        self.process = process
        self.firstLine = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !firstLine.isEmpty else {
            stop()
            let name = URL(fileURLWithPath: arguments.first { $0.hasSuffix(".py") } ?? executable).lastPathComponent
            throw StartFailure(
                description: "\(name) printed nothing before it \(process.isRunning ? "hung" : "exited")")
        }
    }

    /// Whether the process is still running.
    public var isRunning: Bool { process.isRunning }

    /// The first line as a port number (`8080`, or `PORT 8080`), `nil` when it is not one.
    public var port: Int? {
        let digits = firstLine.hasPrefix("PORT ") ? String(firstLine.dropFirst(5)) : firstLine
        return Int(digits.prefix { $0.isNumber })
    }

    /// Closes its stdin, kills it (SIGKILL) and reaps it; later calls do nothing.
    public func stop() {
        let first = stopped.withLock {
            defer { isStopped = true }
            return !isStopped
        }
        guard first else { return }
        try? stdin.fileHandleForWriting.close()
        let pid = process.processIdentifier
        if pid > 0 && process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
