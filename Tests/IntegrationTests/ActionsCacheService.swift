import Foundation
import HTTPTransport
import TestServers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fake GitHub Actions cache service and blob storage (`Tests/StorageCacheTests/Support/fake_actions_cache.py`)
/// as a loopback child process, for the action and CLI tests. Its token is ``CoordinatorCLI/fakeRuntimeToken``, so
/// the secret checks of those tests cover it. It records every request: per-route counts and the Twirp calls.
final class ActionsCacheService: @unchecked Sendable {
    let port: Int
    private let server: ChildServer
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
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_CACHE_TOKEN"] = CoordinatorCLI.fakeRuntimeToken
        server = try ChildServer(
            executable: "/usr/bin/env", arguments: ["python3", script], environment: environment, stderr: nil)
        guard let port = server.port else {
            throw ChildProcess.PythonFailure(message: "the fake cache service did not start: \(server.firstLine)")
        }
        self.port = port
    }

    /// Stops the fake (SIGKILL) and reaps it.
    func stop() { server.stop() }

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
