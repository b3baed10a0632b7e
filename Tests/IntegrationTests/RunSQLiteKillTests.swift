import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 9's acceptance for the bot host: `storage-cache run --sync-interval 1 -- <writer>` where the child commits
/// rows to a WAL-mode OpenCode database several times a second; the supervisor and the writer are SIGKILLed at
/// random moments, 20 rounds, each round starting from what the previous one left in S3 (restore-on-start, over the
/// killed writer's `-wal`/`-shm`). After every round a `sync pull` into a fresh directory must give a database that
/// passes `PRAGMA integrity_check`, holds exactly the ids 1…k (one committed state, no gaps), and holds at least
/// every row committed before the last sync that the run reported as done began (its `sync_started=` stamp).
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct RunSQLiteKillTests {
    static let rounds = 20
    /// Database size from gen_storage.py: over the 8 MiB chunk threshold, so chunked pushes are exercised too.
    static let databaseMB = 10

    /// The child: opens the database, logs `start <max id> <count> <time>`, then commits one row about every
    /// 50 ms (and rewrites an older row in the same transaction, so pages in the middle change as well), logging
    /// `<id> <time>` after each commit. Lines go out with one write(2) each, so a SIGKILL loses none it returned.
    static let writer = """
        import os, random, sqlite3, sys, time
        db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS probe(id INTEGER PRIMARY KEY, v BLOB)")
        last, count = db.execute("SELECT coalesce(max(id), 0), count(*) FROM probe").fetchone()
        fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(fd, ("start %d %d %.6f\\n" % (last, count, time.time())).encode())
        n = last
        while True:
            n += 1
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO probe(id, v) VALUES (?, randomblob(400))", (n,))
            db.execute("UPDATE probe SET v = randomblob(400) WHERE id = ?", (random.randint(1, n),))
            db.execute("COMMIT")
            os.write(fd, ("%d %.6f\\n" % (n, time.time())).encode())
            time.sleep(0.05)
        """

    /// What the writer logged in one round.
    struct WriterLog {
        var startMax: Int
        var startCount: Int
        /// (id, time just after its commit).
        var commits: [(id: Int, time: Double)]

        init(_ path: String) throws {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var start: (Int, Int)?
            var commits: [(Int, Double)] = []
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.first == "start", fields.count == 4 {
                    start = (Int(fields[1]) ?? -1, Int(fields[2]) ?? -1)
                } else if fields.count == 2, let id = Int(fields[0]), let time = Double(fields[1]) {
                    commits.append((id, time))
                }
            }
            let found = try #require(start, "the writer never started: \(text)")
            startMax = found.0
            startCount = found.1
            self.commits = commits
        }

        /// The highest id committed before `time` (the round's starting state when none was).
        func committed(before time: Double) -> Int {
            commits.last { $0.time < time }?.id ?? startMax
        }

        var highest: Int { commits.last?.id ?? startMax }
    }

    /// Waits (at most 5 s) until `pid` is gone or a zombie: a SIGKILLed writer commits nothing more.
    static func waitUntilDead(_ pid: Int32) {
        let end = Date().addingTimeInterval(5)
        while Date() < end {
            kill(pid, SIGKILL)
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return }
            // The state follows the parenthesised command name.
            if let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].hasPrefix(" Z") { return }
            usleep(10_000)
        }
    }

    /// `(integrity, count, min, max)` of `probe`, read-only.
    static func probe(_ database: String) throws -> (integrity: String, count: Int, min: Int, max: Int) {
        let out = try SyncCaptureTests.python3(
            """
            import sqlite3, sys
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
            print(db.execute("PRAGMA integrity_check").fetchone()[0])
            print(*db.execute("SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0) FROM probe").fetchone())
            """, [database])
        let lines = out.split(separator: "\n")
        let numbers = (lines.last ?? "").split(separator: " ").compactMap { Int($0) }
        try #require(numbers.count == 3, "probe output: \(out)")
        return (String(lines.first ?? ""), numbers[0], numbers[1], numbers[2])
    }

    /// The `sync_started=` stamp of the last "synced generation N" line (a committed periodic or final sync).
    static func lastSyncStart(_ log: String) -> (generation: Int, started: Double)? {
        var found: (Int, Double)?
        for line in log.split(separator: "\n") where line.contains("synced generation ") {
            guard let generationRange = line.range(of: "synced generation "),
                let stampRange = line.range(of: "sync_started="),
                let generation = Int(line[generationRange.upperBound...].prefix { $0.isNumber }),
                let started = Double(line[stampRange.upperBound...].prefix { !$0.isWhitespace })
            else { continue }
            found = (generation, started)
        }
        return found
    }

    @Test func sigkilledRunsAlwaysLeaveOneCommittedStateNoOlderThanTheLastReportedSync() async throws {
        try await RunFixture.with("run-sqlite-kill") { fixture in
            _ = try ChildProcess.run(
                "/usr/bin/env",
                [
                    "python3", "/work/shared/gen_storage.py", fixture.store, "--opencode-db", "--db-mb",
                    "\(Self.databaseMB)",
                ])
            let database = fixture.store + "/opencode.db"
            try #require(FileManager.default.fileExists(atPath: database))
            let script = fixture.scratch + "/writer.py"
            try Data(Self.writer.utf8).write(to: URL(fileURLWithPath: script))

            var previous = 0  // rows in S3 after the previous round
            var roundsWithSync = 0
            var summary: [String] = []
            for round in 1...Self.rounds {
                let writerLog = fixture.scratch + "/writer-\(round).log"
                let run = try RunningCLI(
                    fixture.arguments(
                        ["--sync-interval", "1"], ["/usr/bin/env", "python3", script, database, writerLog]),
                    environment: fixture.environment(), scratch: fixture.scratch)
                let child = try run.childPID()
                // Every third round waits for a reported sync first, so the lower bound is tested for sure; the
                // others die 1.5–4 s after the child started, in the middle of whatever the run was doing.
                if round % 3 == 0 {
                    try run.waitForLog("synced generation ", timeout: 60)
                    usleep(UInt32.random(in: 0...1_500_000))
                } else {
                    usleep(UInt32.random(in: 1_500_000...4_000_000))
                }
                // Both die, in a random order, a moment apart.
                let victims = Bool.random() ? [run.pid, -child] : [-child, run.pid]
                kill(victims[0], SIGKILL)
                usleep(UInt32.random(in: 0...150_000))
                kill(victims[1], SIGKILL)
                kill(run.pid, SIGKILL)
                _ = run.waitExit()
                let log = run.stderr
                Self.waitUntilDead(child)
                // A request LocalStack had fully received (a manifest PUT) may still land just after the kill; let
                // it, so the pull below and the next round's restore see the same generation.
                usleep(300_000)

                let written = try WriterLog(writerLog)
                #expect(
                    written.startMax == previous && written.startCount == previous,
                    "round \(round): the run restored \(written.startCount) rows (max id \(written.startMax)), S3 held \(previous)"
                )
                let sync = Self.lastSyncStart(log)
                if sync != nil { roundsWithSync += 1 }
                let lowerBound = sync.map { written.committed(before: $0.started) } ?? previous

                let fresh = fixture.scratch + "/pulled-\(round)"
                let pull = try ChildProcess.run(
                    S3TestEnvironment.binary,
                    [
                        "sync", "pull", "--path", fresh, "--bucket", fixture.bucket, "--endpoint",
                        S3TestEnvironment.endpointURL, "--repo", fixture.repo, "--agent-identity", "discord",
                        "--state-dir", fixture.scratch + "/pull-state",
                    ], environment: fixture.environment())
                try #require(pull.status == 0, "round \(round): sync pull failed: \(pull.stderr)")
                if previous == 0 && sync == nil && !FileManager.default.fileExists(atPath: fresh + "/opencode.db") {
                    continue  // nothing was ever pushed yet
                }
                let names = try FileManager.default.contentsOfDirectory(atPath: fresh)
                #expect(
                    !names.contains { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") || $0.hasSuffix("-journal") },
                    "\(names)")
                #expect(!names.contains("auth.json") && !names.contains("log"), "\(names)")
                let state = try Self.probe(fresh + "/opencode.db")
                let k = state.count
                #expect(state.integrity == "ok", "round \(round): integrity_check: \(state.integrity)")
                #expect(
                    state.max == k && (k == 0 || state.min == 1),
                    "round \(round): ids are not 1…\(k): count \(k), min \(state.min), max \(state.max)")
                #expect(
                    k >= lowerBound,
                    "round \(round): \(k) rows restored, but \(lowerBound) were committed before the last reported sync (generation \(sync.map { "\($0.generation)" } ?? "-")) began:\n\(log)"
                )
                #expect(k >= previous, "round \(round): \(k) rows, fewer than the \(previous) of the previous round")
                #expect(k <= written.highest, "round \(round): \(k) rows, but only \(written.highest) were committed")
                summary.append("\(k)≥\(lowerBound)\(sync == nil ? "" : "*")")
                previous = k
                try? FileManager.default.removeItem(atPath: fresh)
            }
            print("RunSQLiteKillTests: rows after each round ≥ lower bound (* a sync was reported): \(summary)")
            #expect(roundsWithSync >= Self.rounds / 3, "every third round waits for a sync: \(roundsWithSync)")
            #expect(previous > 0, "something was synced over \(Self.rounds) rounds")
        }
    }
}
