import Foundation
import Logging
import S3
import Synchronization
import TestServers

@testable import StorageCache

/// The loopback fake of the GitHub Actions cache service and its blob storage (`fake_actions_cache.py`), one
/// process per test; it exits when this object goes away (its stdin closes).
final class FakeActionsCache: @unchecked Sendable {
    let port: Int
    let token: String
    private let server: ChildServer

    var resultsURL: String { "http://127.0.0.1:\(port)/" }

    init() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("fake_actions_cache.py")
        token = "ghs_fake" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_CACHE_TOKEN"] = token
        server = try ChildServer(
            executable: "/usr/bin/env", arguments: ["python3", script.path], environment: environment, stderr: nil)
        guard let port = server.port else { throw FakeError.noPort }
        self.port = port
    }

    enum FakeError: Error {
        case noPort
        case badAnswer
    }

    /// Sets fault counters (`{"twirp_429": 1}`) or limits (`{"max_entry_bytes": 100}`).
    func inject(_ faults: [String: Int]) throws {
        let body = try JSONSerialization.data(withJSONObject: faults)
        _ = try request("POST", "/_control/faults", body: body)
    }

    /// Requests per route (`CreateCacheEntry`, `put-block`, `blob-get`, …).
    func stats() throws -> [String: Int] {
        let data = try request("GET", "/_control/stats", body: nil)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let stats = object["stats"] as? [String: Int]
        else { throw FakeError.badAnswer }
        return stats
    }

    private func request(_ method: String, _ path: String, body: Data?) throws -> Data {
        // A child process keeps the test free of a second HTTP stack; the control routes are tiny.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let code = """
            import sys, urllib.request
            data = sys.stdin.buffer.read() if sys.argv[2] == 'POST' else None
            r = urllib.request.Request(sys.argv[1], data=data, method=sys.argv[2])
            sys.stdout.buffer.write(urllib.request.urlopen(r).read())
            """
        process.arguments = ["python3", "-c", code, "http://127.0.0.1:\(port)\(path)", method]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: body ?? Data())
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FakeError.badAnswer }
        return data
    }

    /// A store against this fake, logging into `logs`.
    func store(
        logs: CapturedLogs, temporaryDirectory: String, blockSize: Int64 = 32 << 20, maxEntryBytes: Int64 = 10 << 30,
        stallTimeout: Duration = .seconds(60)
    ) -> GitHubActionsCacheStore {
        let configuration = GitHubActionsCacheStore.Configuration(
            resultsURL: resultsURL, runtimeToken: token, versionPaths: ["~/.local/share/opencode/storage"],
            maxEntryBytes: maxEntryBytes, blockSize: blockSize, concurrency: 3,
            retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(20)), maxRetryAfter: .seconds(2),
            stallTimeout: stallTimeout, temporaryDirectory: temporaryDirectory)
        var logger = Logger(label: "gha-cache-test") { _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .trace
        return GitHubActionsCacheStore(configuration: configuration, logger: logger)
    }
}

/// Log lines captured from a store (and its HTTP client), to check what was said and that no secret was.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var all: [String] { lines.withLock { $0 } }
    var text: String { all.joined(separator: "\n") }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).merging(metadata) { new, _ in new }
        logs.append(
            "\(event.level) \(event.message) \(fields.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
    }
}
