import Foundation
import HTTPTransport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fake GitHub Actions cache service and blob storage (`Tests/StorageCacheTests/Support/fake_actions_cache.py`)
/// as a loopback child process, for the action and CLI tests. Its token is ``CoordinatorCLI/fakeRuntimeToken``, so
/// the secret checks of those tests cover it. It records every request: per-route counts and the Twirp calls.
final class ActionsCacheService: @unchecked Sendable {
    let process: Process
    let port: Int
    private let stdin: Pipe
    let http = HTTPClient(logger: S3TestEnvironment.logger)

    /// `ACTIONS_RESULTS_URL` for the fake.
    var resultsURL: String { "http://127.0.0.1:\(port)/" }

    /// What the fake recorded.
    struct Stats {
        /// Requests per route: `GetCacheEntryDownloadURL`, `CreateCacheEntry`, `FinalizeCacheEntryUpload`,
        /// `blob-put`, `blob-get`, `put-blob`, `put-block`, `put-block-list`.
        var counts: [String: Int]
        /// The Twirp calls in order: method, key and restore keys.
        var calls: [(method: String, key: String, restoreKeys: [String])]
        /// Finalized entries: key → version.
        var entries: [String: String]

        func count(_ route: String) -> Int { counts[route] ?? 0 }
        /// Every request, of any route.
        var total: Int { counts.values.reduce(0, +) }
    }

    init() throws {
        let script = S3TestEnvironment.repositoryRoot + "/Tests/StorageCacheTests/Support/fake_actions_cache.py"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_CACHE_TOKEN"] = CoordinatorCLI.fakeRuntimeToken
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            kill(process.processIdentifier, SIGKILL)  // SIGTERM may be blocked in the child
            throw ChildProcess.PythonFailure(message: "the fake cache service did not start")
        }
        self.process = process
        self.port = port
        self.stdin = stdin
    }

    /// Closes its stdin (it exits) and reaps it; a kill of our own child by its pid if it lingers.
    func stop() {
        try? stdin.fileHandleForWriting.close()
        let pid = process.processIdentifier
        for _ in 0..<50 where process.isRunning { usleep(20_000) }
        if process.isRunning && pid > 0 { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }

    func stats() async throws -> Stats {
        let response = try await http.execute(HTTPRequest(method: "GET", url: resultsURL + "_control/stats"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let calls = (object["calls"] as? [[String: Any]] ?? []).map {
            (
                method: $0["method"] as? String ?? "", key: $0["key"] as? String ?? "",
                restoreKeys: $0["restore_keys"] as? [String] ?? []
            )
        }
        var entries: [String: String] = [:]
        for entry in object["entries"] as? [[String: Any]] ?? [] where entry["finalized"] as? Bool == true {
            entries[entry["key"] as? String ?? ""] = entry["version"] as? String ?? ""
        }
        return Stats(counts: object["stats"] as? [String: Int] ?? [:], calls: calls, entries: entries)
    }

    /// Runs `body` with a running fake, stopped afterwards.
    static func with<T>(_ body: (ActionsCacheService) async throws -> T) async throws -> T {
        let service = try ActionsCacheService()
        defer { service.stop() }
        return try await body(service)
    }
}
