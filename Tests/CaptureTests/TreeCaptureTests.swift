import Capture
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("TreeCapture")
struct TreeCaptureTests {
    @Test func databasesAreCopiedByBackupAndCompanionsLeftOut() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source + "/storage/session", withIntermediateDirectories: true)
        try Data("{\"id\": 1}".utf8).write(to: URL(fileURLWithPath: source + "/storage/session/a.json"))
        try Data(
            "not a database, but long enough to be read as one if the header matched........................"
                .utf8
        ).write(to: URL(fileURLWithPath: source + "/notes.txt"))
        symlink("storage/session/a.json", source + "/latest")
        // A live writer keeps -wal and -shm beside the database.
        try Python.makeDatabase(source + "/opencode.db", rows: 50)
        let holder = try Python.start(
            """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA wal_autocheckpoint=0")
            db.execute("INSERT INTO t(payload) VALUES (randomblob(10))")
            print("ready", flush=True)
            time.sleep(60)
            """, [source + "/opencode.db"])
        defer { holder.stop() }
        #expect(FileManager.default.fileExists(atPath: source + "/opencode.db-wal"))

        let captured = try TreeCapture.capture(source: source, options: CaptureOptions(), logger: testLogger)
        defer { captured.remove() }

        #expect(captured.databases == ["opencode.db"])
        #expect(captured.skippedDatabases.isEmpty)
        #expect(Set(captured.omittedCompanions) == ["opencode.db-wal", "opencode.db-shm"])
        let listing = treeListing(captured.path)
        #expect(
            listing == ["opencode.db", "storage", "storage/session", "storage/session/a.json", "notes.txt", "latest"])
        #expect(SQLiteProbe.integrity(captured.path + "/opencode.db") == ["ok"])
        // The copy holds the committed row still in the WAL: one committed state, not the stale main file.
        #expect(SQLiteProbe.rows(captured.path + "/opencode.db").count == 51)
        // Regular files are hard links of the source, not copies.
        var a = stat()
        var b = stat()
        stat(source + "/storage/session/a.json", &a)
        stat(captured.path + "/storage/session/a.json", &b)
        #expect(a.st_ino == b.st_ino)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: captured.path + "/latest")
                == "storage/session/a.json")
        // Reading the copy back never left companions in the staging tree.
        #expect(!listing.contains { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") || $0.hasSuffix("-journal") })

        captured.remove()
        #expect(!FileManager.default.fileExists(atPath: captured.path))
        #expect(FileManager.default.fileExists(atPath: source + "/storage/session/a.json"))
    }

    @Test func excludedPathsAreNotStaged() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source + "/log", withIntermediateDirectories: true)
        try Data("secret".utf8).write(to: URL(fileURLWithPath: source + "/auth.json"))
        try Data("line".utf8).write(to: URL(fileURLWithPath: source + "/log/1.log"))
        try Data("keep".utf8).write(to: URL(fileURLWithPath: source + "/keep.txt"))
        let captured = try TreeCapture.capture(
            source: source, options: CaptureOptions(excludes: ["auth.json", "/log/"]), logger: testLogger)
        defer { captured.remove() }
        #expect(treeListing(captured.path) == ["keep.txt"])
    }

    @Test func concurrentWriterNeverGivesATornCopy() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 4000)
        let writer = try Python.start(Python.writer, [database, "30"])
        defer { writer.stop() }
        let state = scratch.sub("state")
        var lastCount = 0
        for round in 0..<15 {
            let before = SQLiteProbe.rows(database).max
            // Small steps: the writer commits between many of them.
            let captured = try TreeCapture.capture(
                source: source, options: CaptureOptions(stateDirectory: state, pagesPerStep: 16), logger: testLogger)
            defer { captured.remove() }
            let copy = captured.path + "/opencode.db"
            // (Checked before the probes below open the copy, which makes SQLite create companions.)
            #expect(!treeListing(captured.path).contains { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") })
            #expect(captured.databases == ["opencode.db"], "round \(round): \(captured.warnings)")
            #expect(SQLiteProbe.integrity(copy) == ["ok"], "round \(round)")
            let rows = SQLiteProbe.rows(copy)
            #expect(rows.min == 1 && rows.max == rows.count, "round \(round): ids not contiguous: \(rows)")
            #expect(rows.count >= before, "round \(round): \(rows.count) rows, \(before) committed before")
            #expect(rows.count >= lastCount, "round \(round)")
            lastCount = rows.count
        }
        #expect(writer.isRunning, "the writer went on during every capture")
        #expect(lastCount > 4000, "the writer committed rows meanwhile")
    }

    @Test(arguments: ["rollback", "exclusive-mode"])
    func lockedDatabaseIsSkippedWithinTheWait(mode: String) throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 10, journalMode: mode == "rollback" ? "DELETE" : "WAL")
        try Data("x".utf8).write(to: URL(fileURLWithPath: source + "/other.txt"))
        let locker = try Python.start(Python.locker, [database, mode])
        defer { locker.stop() }

        let started = Date()
        let captured = try TreeCapture.capture(
            source: source, options: CaptureOptions(lockWait: 1), logger: testLogger)
        defer { captured.remove() }
        let elapsed = Date().timeIntervalSince(started)

        #expect(elapsed < 5, "took \(elapsed) s")
        #expect(captured.skippedDatabases == ["opencode.db"])
        #expect(captured.databases.isEmpty)
        #expect(captured.warnings.contains { $0.contains("opencode.db") && $0.contains("locked") })
        #expect(treeListing(captured.path) == ["other.txt"])
    }

    @Test func lockedDatabaseFallsBackToItsLastGoodCopy() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        let state = scratch.sub("state")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 10, journalMode: "DELETE")
        let first = try TreeCapture.capture(
            source: source, options: CaptureOptions(stateDirectory: state), logger: testLogger)
        first.remove()
        try Python.makeDatabase(database, rows: 5, journalMode: "DELETE")

        let locker = try Python.start(Python.locker, [database, "rollback"])
        defer { locker.stop() }
        let captured = try TreeCapture.capture(
            source: source, options: CaptureOptions(stateDirectory: state, lockWait: 0.5), logger: testLogger)
        defer { captured.remove() }
        #expect(captured.reusedDatabases == ["opencode.db"])
        #expect(captured.databases == ["opencode.db"])
        #expect(captured.warnings.contains { $0.contains("last good copy") })
        #expect(SQLiteProbe.rows(captured.path + "/opencode.db").count == 10)
        #expect(SQLiteProbe.integrity(captured.path + "/opencode.db") == ["ok"])
    }

    @Test func corruptDatabaseKeepsTheLastGoodCopy() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        let state = scratch.sub("state")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 200, journalMode: "DELETE")
        TreeCapture.capture(source: source, stateDirectory: state).remove()

        // Overwrite the middle of the table's b-tree with garbage; the header stays valid.
        try SQLiteProbe.damage(database)
        #expect(SQLiteProbe.integrity(database) != ["ok"])

        let captured = try TreeCapture.capture(
            source: source, options: CaptureOptions(stateDirectory: state), logger: testLogger)
        defer { captured.remove() }
        #expect(captured.reusedDatabases == ["opencode.db"], "\(captured.warnings)")
        #expect(SQLiteProbe.integrity(captured.path + "/opencode.db") == ["ok"])
        #expect(SQLiteProbe.rows(captured.path + "/opencode.db").count == 200)

        // Without a last good copy it is left out, with a warning.
        let bare = try TreeCapture.capture(source: source, options: CaptureOptions(), logger: testLogger)
        defer { bare.remove() }
        #expect(bare.skippedDatabases == ["opencode.db"])
        #expect(bare.warnings.contains { $0.contains("quick_check") || $0.contains("malformed") })
    }
}

extension TreeCapture {
    /// A capture that must succeed, for setting up.
    static func capture(source: String, stateDirectory: String) -> CapturedTree {
        try! capture(source: source, options: CaptureOptions(stateDirectory: stateDirectory), logger: testLogger)
    }
}

@Suite("TreeCapture.containsDatabases")
struct ContainsDatabasesTests {
    @Test func findsDatabasesAtAnyDepthButNotExcludedOnes() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source + "/a/b", withIntermediateDirectories: true)
        try Data(String(repeating: "json ", count: 40).utf8).write(to: URL(fileURLWithPath: source + "/a/x.json"))
        #expect(!TreeCapture.containsDatabases(source: source, excludes: []))
        try Python.makeDatabase(source + "/a/b/deep.db", rows: 1, journalMode: "DELETE")
        #expect(TreeCapture.containsDatabases(source: source, excludes: []))
        #expect(!TreeCapture.containsDatabases(source: source, excludes: ["*.db"]))
    }
}

@Suite("TreeCapture: unreadable files")
struct UnreadableFileTests {
    @Test func anUncopyableFileIsAWarningNotAFailure() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data("ok".utf8).write(to: URL(fileURLWithPath: source + "/ok.txt"))
        // Staging on another directory tree forces copies; a FIFO is neither linked nor copied.
        mkfifo(source + "/pipe", 0o600)
        let captured = try TreeCapture.capture(
            source: source, options: CaptureOptions(stagingParent: scratch.sub("elsewhere")), logger: testLogger)
        defer { captured.remove() }
        #expect(treeListing(captured.path) == ["ok.txt"])
        #expect(captured.warnings.contains { $0.contains("pipe") })
        #expect(captured.path.hasPrefix(scratch.sub("elsewhere") + "/"))
    }
}
