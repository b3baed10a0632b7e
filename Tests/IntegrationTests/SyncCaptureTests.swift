import Capture
import Foundation
import S3
import StorageCache
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SyncEngine with database capture against LocalStack: a live OpenCode directory (gen_storage.py) is pushed with
/// the default settings while a writer commits; credentials, logs and companions never reach S3; a pull over stale
/// `-wal`/`-shm` files gives the pushed state.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct SyncCaptureTests {
    static func python3(_ script: String, _ arguments: [String]) throws -> String {
        let output = try ChildProcess.run("/usr/bin/env", ["python3", "-c", script] + arguments)
        guard output.status == 0 else {
            throw ChildProcess.PythonFailure(message: "python3 exited \(output.status): \(output.stderr)")
        }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `count min max` of the writer's table, and the integrity check.
    static func probe(_ database: String) throws -> (rows: [Int], integrity: String) {
        let out = try python3(
            """
            import sqlite3, sys
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
            print(db.execute("PRAGMA integrity_check").fetchone()[0])
            print(*db.execute("SELECT count(*), coalesce(min(id),0), coalesce(max(id),0) FROM probe").fetchone())
            """, [database])
        let lines = out.split(separator: "\n")
        return (lines.last.map { $0.split(separator: " ").compactMap { Int($0) } } ?? [], String(lines.first ?? ""))
    }

    /// Makes an OpenCode data directory and starts a writer committing rows into `probe` about every 20 ms.
    static func makeLiveDirectory(_ root: String) throws -> Process {
        _ = try ChildProcess.run(
            "/usr/bin/env", ["python3", "/work/shared/gen_storage.py", root, "--opencode-db", "--db-mb", "2"])
        try Data("{\"token\": \"fake\"}".utf8).write(to: URL(fileURLWithPath: root + "/mcp-auth.json"))
        _ = try python3(
            """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE probe(id INTEGER PRIMARY KEY, v BLOB)")
            """, [root + "/opencode.db"])
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = [
            "python3", "-c",
            """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
            db.execute("PRAGMA wal_autocheckpoint=0")
            while True:
                db.execute("INSERT INTO probe(v) VALUES (randomblob(500))")
                time.sleep(0.02)
            """, root + "/opencode.db",
        ]
        try writer.run()
        while (try probe(root + "/opencode.db").rows.first ?? 0) < 5 { usleep(50_000) }
        return writer
    }

    /// Leaves `-wal`/`-shm` beside `<root>/opencode.db` holding 500 rows more than the main file (never checkpointed).
    static func leaveStaleCompanions(_ root: String) throws {
        _ = try python3(
            """
            import sqlite3, sys, os
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA wal_autocheckpoint=0")
            for _ in range(500):
                db.execute("INSERT INTO probe(v) VALUES (randomblob(10))")
            os._exit(0)
            """, [root + "/opencode.db"])
        #expect(FileManager.default.fileExists(atPath: root + "/opencode.db-wal"))
        #expect(FileManager.default.fileExists(atPath: root + "/opencode.db-shm"))
    }

    static func settings(bucket: String, state: String, includeCredentials: Bool = false) throws -> SyncOptions {
        var environment = [
            "INPUT_S3-BUCKET": bucket, "INPUT_REPO": "owner/repo", "HOME": "/nonexistent", "INPUT_STATE-DIR": state,
        ]
        if includeCredentials { environment["INPUT_INCLUDE-CREDENTIALS"] = "true" }
        return try SyncSettings.resolve(flags: SyncSettingsFlags(), environment: environment).syncOptions()
    }

    @Test(arguments: [true, false])
    func defaultsPushACapturedDatabaseAndNoCredentials(snapshot: Bool) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("capture", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/opencode"
                let writer = try Self.makeLiveDirectory(source)
                defer {
                    kill(writer.processIdentifier, SIGKILL)
                    writer.waitUntilExit()
                }
                var options = try Self.settings(bucket: bucket, state: dir + "/state")
                options.snapshot = snapshot
                let engine = SyncEngine(
                    client: client,
                    location: try SyncLocation(bucket: bucket, agentIdentity: .github, repo: "owner/repo"),
                    options: options, logger: S3TestEnvironment.logger)
                let before = try Self.probe(source + "/opencode.db").rows.first ?? 0
                let pushed = try await engine.push(from: source)
                #expect(pushed.committed)
                #expect(pushed.snapshotWritten == snapshot)

                let keys = try await client.listObjects(bucket: bucket).objects.map(\.key)
                let stored = keys.filter { $0.contains("/storage/") }
                #expect(!keys.contains { $0.hasSuffix("auth.json") }, "\(keys)")
                #expect(!keys.contains { $0.contains("/storage/log/") })
                #expect(!keys.contains { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") || $0.hasSuffix("-journal") })
                let manifest = try #require(try await engine.readManifest()).manifest
                #expect(manifest.files.map(\.path).allSatisfy { !$0.hasSuffix("auth.json") && !$0.hasPrefix("log") })
                // A database under the chunk threshold is an object under storage/; a larger one lives in packs.
                let database = try #require(manifest.entriesByPath["opencode.db"])
                #expect(
                    database.chunks != nil
                        || stored.contains("opencode-storage/github/owner-repo/storage/opencode.db"))

                // Pull over a copy of the tree that still has stale -wal/-shm (a later, uncheckpointed state).
                let restored = dir + "/restored"
                _ = try ChildProcess.run("/bin/cp", ["-a", source, restored])
                try Self.leaveStaleCompanions(restored)
                let pulled = try await engine.pull(into: restored)
                #expect(pulled.source == (snapshot ? .snapshot : .objects))
                // The stale companions are gone; the copy's own excluded files (credentials, log/) are kept.
                let names = try FileManager.default.contentsOfDirectory(atPath: restored)
                #expect(Set(names) == ["opencode.db", "auth.json", "mcp-auth.json", "log"], "\(names)")
                let probe = try Self.probe(restored + "/opencode.db")
                #expect(probe.integrity == "ok")
                #expect(probe.rows.count == 3)
                if probe.rows.count == 3 {
                    #expect(probe.rows[1] == 1 && probe.rows[2] == probe.rows[0], "ids contiguous: \(probe.rows)")
                    #expect(probe.rows[0] >= before, "\(probe.rows[0]) rows, \(before) committed before the push")
                }
            }
        }
    }

    @Test func includeCredentialsPushesThem() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("capture-cred", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/opencode"
                let writer = try Self.makeLiveDirectory(source)
                defer {
                    kill(writer.processIdentifier, SIGKILL)
                    writer.waitUntilExit()
                }
                let engine = SyncEngine(
                    client: client,
                    location: try SyncLocation(bucket: bucket, agentIdentity: .github, repo: "owner/repo"),
                    options: try Self.settings(bucket: bucket, state: dir + "/state", includeCredentials: true),
                    logger: S3TestEnvironment.logger)
                _ = try await engine.push(from: source)
                let keys = try await client.listObjects(bucket: bucket).objects.map(\.key)
                #expect(keys.contains("opencode-storage/github/owner-repo/storage/auth.json"))
                #expect(keys.contains("opencode-storage/github/owner-repo/storage/mcp-auth.json"))
                #expect(!keys.contains { $0.contains("/storage/log/") })
            }
        }
    }
}
