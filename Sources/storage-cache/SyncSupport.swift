import ArgumentParser
import Foundation
import HTTPTransport
import Logging
import S3
import StorageCache

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of a sync command: the one-line message and the README's exit code.
struct SyncCommandFailure: Error {
    var message: String
    var exitCode: Int32
    /// `SyncError`'s kind, for JSON output.
    var kind: String
    /// Whether the JSON output already reported the failure (so no separate JSON error object is printed).
    var reportedInJSON = false

    init(message: String, exitCode: Int32, kind: String) {
        self.message = message
        self.exitCode = exitCode
        self.kind = kind
    }

    init(_ error: InputError) {
        message = error.description
        exitCode = 2
        kind = "invalidInput"
    }

    init(_ error: SyncError) {
        message = error.message
        exitCode = SyncExitCode.code(for: error.code)
        kind = "\(error.code)"
    }

    init(_ error: S3Error) {
        message = error.description
        exitCode = S3ExitCode.code(for: error)
        kind = "\(error.code)"
    }
}

/// The README's exit codes for sync failures.
enum SyncExitCode {
    static func code(for code: SyncError.Code) -> Int32 {
        switch code {
        case .invalidInput: 2
        case .notFound: 3
        case .accessDenied: 4
        case .corrupted: 5
        case .io, .s3, .conflict: 1
        }
    }

    /// Whether a push that failed this way is worth a pending record: S3 or the network was down, access was
    /// denied, or a conflict persisted. Bad input, a local I/O problem or damaged remote data is not retried.
    static func isRetryable(_ code: SyncError.Code) -> Bool {
        switch code {
        case .s3, .accessDenied, .conflict: true
        case .invalidInput, .io, .corrupted, .notFound: false
        }
    }
}

/// Shared plumbing of the sync commands: environment, clients, output.
enum SyncCLI {
    /// The process environment, with `AWS_PROFILE` set to `profile` when one is given.
    static func environment(profile: String?) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let profile, !profile.isEmpty { environment["AWS_PROFILE"] = profile }
        return environment
    }

    /// The settings `options` resolve to over the process environment (with `--profile` applied), and that
    /// environment; an input error becomes the command's failure.
    static func resolve(_ options: SyncSettingsOptions) throws(SyncCommandFailure) -> (
        settings: SyncSettings, environment: [String: String]
    ) {
        let environment = environment(profile: options.target.profile)
        do throws(InputError) {
            return (try SyncSettings.resolve(flags: options.flags, environment: environment), environment)
        } catch {
            throw SyncCommandFailure(error)
        }
    }

    /// A logger to stderr, at debug level with `verbose`.
    static func logger(verbose: Bool) -> Logger {
        var logger = Logger(label: "storage-cache.sync") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .error
        return logger
    }

    /// A client for `settings`, with credentials from the AWS chain over `environment`.
    static func makeClient(settings: SyncSettings, environment: [String: String], logger: Logger)
        throws(SyncCommandFailure) -> S3Client
    {
        let endpoint: S3Endpoint
        do throws(InputError) {
            endpoint = try settings.checkedEndpoint()
        } catch {
            throw SyncCommandFailure(error)
        }
        return S3ClientFactory.make(
            configuration: settings.clientConfiguration(endpoint: endpoint),
            concurrency: settings.concurrency, logger: logger
        ) { http in
            CredentialProviderChain(environment: environment, httpClient: http, logger: logger)
        }
    }

    /// `text` with any secret of the environment (secret key, session token) replaced by `<redacted>`: a second line
    /// of defence, as messages are built secret-free. Short values (LocalStack's `test`) are left alone.
    static func redact(_ text: String) -> String {
        var text = text
        let environment = ProcessInfo.processInfo.environment
        for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"] {
            if let secret = environment[name], secret.count >= 12 {  // real ones are 40+; spare "test"
                text = text.replacingOccurrences(of: secret, with: "<redacted>")
            }
        }
        return text
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("storage-cache: error: \(redact(message))\n".utf8))
    }

    static func printWarning(_ message: String) {
        FileHandle.standardError.write(Data("storage-cache: warning: \(redact(message))\n".utf8))
    }

    static func printNote(_ message: String) {
        FileHandle.standardError.write(Data("storage-cache: \(redact(message))\n".utf8))
    }

    /// Prints `value` as one line of JSON on stdout.
    static func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value) else { return }
        printLine(redact(String(decoding: data, as: UTF8.self)))
    }

    /// Runs `body`, turning failures into a message (and, with `json`, a JSON error object) and an exit code.
    static func run(json: Bool, _ body: () async throws(SyncCommandFailure) -> Void) async throws {
        do {
            try await body()
        } catch {
            printError(error.message)
            if json && !error.reportedInJSON {
                printJSON(JSONFailure(error: .init(kind: error.kind, message: error.message), exitCode: error.exitCode))
            }
            throw ExitCode(error.exitCode)
        }
    }

    struct JSONFailure: Encodable {
        struct Detail: Encodable {
            var kind: String
            var message: String
        }
        var error: Detail
        var exitCode: Int32
    }

    /// `bytes` for people: `1.5 MiB`.
    static func formatBytes(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func formatSeconds(_ seconds: Double) -> String { String(format: "%.2f s", seconds) }

    /// `s3://bucket/<root>/`.
    static func describe(_ location: SyncLocation) -> String { "s3://\(location.bucket)/\(location.root)/" }
}

/// A progress line on a terminal (stderr is a tty): a spinner with the elapsed time, cleared at the end.
/// Elsewhere one plain line when the work starts.
final class SyncProgress: Sendable {
    private let task: Task<Void, Never>?

    init(_ label: String) {
        guard isatty(STDERR_FILENO) == 1 else {
            SyncCLI.printNote(label)
            task = nil
            return
        }
        task = Task {
            let frames = ["|", "/", "-", "\\"]
            let started = ContinuousClock.now
            var frame = 0
            while !Task.isCancelled {
                let elapsed = ContinuousClock.now - started
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let line = "\r\(frames[frame % frames.count]) \(label) \(String(format: "%.1f s", seconds))"
                FileHandle.standardError.write(Data(line.utf8))
                frame += 1
                try? await Task.sleep(for: .milliseconds(200))
            }
            FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        }
    }

    /// Stops and clears the line.
    func finish() async {
        task?.cancel()
        await task?.value
    }
}
