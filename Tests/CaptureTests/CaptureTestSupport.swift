import CSQLite
import Foundation
import Logging
import TestServers

/// A scratch directory, removed when the value goes away.
final class ScratchDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/storage-cache-capture-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String { path + "/" + name }
}

let testLogger = Logger(label: "capture-tests")

/// python3 with its sqlite3 module, as writers and lock holders beside the capture.
enum Python {
    /// Runs `script` with `arguments` to the end; throws on a non-zero exit.
    static func run(_ script: String, _ arguments: [String] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSDebugDescriptionErrorKey: "python3 failed: \(script)"])
        }
    }

    /// Starts `script` and returns once it printed its first line (its "ready" signal); `stop()` kills it.
    static func start(_ script: String, _ arguments: [String] = []) throws -> ChildServer {
        try ChildServer(executable: "/usr/bin/env", arguments: ["python3", "-c", script] + arguments, stderr: nil)
    }

    /// Creates a database at `path` with table `t(id INTEGER PRIMARY KEY, payload BLOB)` and `rows` rows.
    static func makeDatabase(_ path: String, rows: Int, journalMode: String = "WAL") throws {
        try run(
            """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA journal_mode=" + sys.argv[3])
            db.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, payload BLOB)")
            db.execute("BEGIN")
            for _ in range(int(sys.argv[2])):
                db.execute("INSERT INTO t(payload) VALUES (randomblob(2000))")
            db.execute("COMMIT")
            db.close()
            """, [path, String(rows), journalMode])
    }

    /// A writer committing three rows about every 20 ms for `seconds` seconds.
    static let writer = """
        import sqlite3, sys, time
        db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        print("ready", flush=True)
        end = time.time() + float(sys.argv[2])
        while time.time() < end:
            db.execute("BEGIN IMMEDIATE")
            for _ in range(3):
                db.execute("INSERT INTO t(payload) VALUES (randomblob(2000))")
            db.execute("COMMIT")
            time.sleep(0.02)
        db.close()
        """

    /// Holds an exclusive lock on the database (BEGIN EXCLUSIVE plus a write) until killed.
    static let locker = """
        import sqlite3, sys, time
        db = sqlite3.connect(sys.argv[1], isolation_level=None)
        if sys.argv[2] == "exclusive-mode":
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("BEGIN EXCLUSIVE")
        db.execute("INSERT INTO t(payload) VALUES (randomblob(10))")
        print("locked", flush=True)
        time.sleep(60)
        """
}

/// Reads databases directly through SQLite, as a witness.
enum SQLiteProbe {
    /// Every row of the first column of `sql`, as text.
    static func query(_ path: String, _ sql: String) -> [String] {
        var db: OpaquePointer?
        defer { sqlite3_close_v2(db) }
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { return ["open failed"] }
        sqlite3_busy_timeout(db, 5000)
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            return ["prepare failed: " + String(cString: sqlite3_errmsg(db))]
        }
        defer { sqlite3_finalize(statement) }
        var rows: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            rows.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "NULL")
        }
        return rows
    }

    static func integrity(_ path: String) -> [String] { query(path, "PRAGMA integrity_check") }

    /// Overwrites pages 4…7 of the database at `path` with garbage; the header stays valid.
    static func damage(_ path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 4096 * 3)
        try handle.write(contentsOf: Data(repeating: 0x5a, count: 4096 * 4))
        try handle.close()
    }

    /// `(count, min id, max id)` of table `t`.
    static func rows(_ path: String) -> (count: Int, min: Int, max: Int) {
        let values = query(path, "SELECT count(*) || ' ' || coalesce(min(id), 0) || ' ' || coalesce(max(id), 0) FROM t")
        let parts = (values.first ?? "").split(separator: " ").compactMap { Int($0) }
        guard parts.count == 3 else { return (-1, -1, -1) }
        return (parts[0], parts[1], parts[2])
    }
}

/// Relative paths of every entry under `root`.
func treeListing(_ root: String) -> Set<String> {
    Set((FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? [])
}

/// A small OpenCode data directory: a WAL database with committed rows still in its `-wal` (a live process holds
/// it open), credentials, logs and a legacy `storage/` tree.
enum OpenCodeFixture {
    /// Rows committed in the database (20 checkpointed, 5 only in the WAL).
    static let rows = 25

    /// Writes the directory at `root`; returns the process holding the database open (`stop()` it when done).
    static func make(_ root: String) throws -> ChildServer {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/log", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/storage/session/info", withIntermediateDirectories: true)
        try Data("{\"anthropic\": {\"type\": \"api\", \"key\": \"sk-fake\"}}".utf8).write(
            to: URL(fileURLWithPath: root + "/auth.json"))
        try Data("{\"server\": {\"token\": \"fake\"}}".utf8).write(to: URL(fileURLWithPath: root + "/mcp-auth.json"))
        try Data("INFO started\n".utf8).write(to: URL(fileURLWithPath: root + "/log/2026-12-01T000000.log"))
        try Data("{\"id\": \"ses_1\"}".utf8).write(to: URL(fileURLWithPath: root + "/storage/session/info/ses_1.json"))
        try Python.makeDatabase(root + "/opencode.db", rows: 20)
        return try Python.start(
            """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA wal_autocheckpoint=0")
            for _ in range(5):
                db.execute("INSERT INTO t(payload) VALUES (randomblob(100))")
            print("ready", flush=True)
            time.sleep(120)
            """, [root + "/opencode.db"])
    }

    /// Leaves stale companions beside `root/opencode.db`: rows 26…40 committed into a `-wal` by a process that then
    /// dies without a checkpoint.
    static func leaveStaleCompanions(_ root: String) throws {
        try Python.run(
            """
            import sqlite3, sys, os
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA wal_autocheckpoint=0")
            for _ in range(15):
                db.execute("INSERT INTO t(payload) VALUES (randomblob(100))")
            os._exit(0)
            """, [root + "/opencode.db"])
    }
}
