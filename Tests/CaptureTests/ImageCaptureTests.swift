import Foundation
import Hashing
import Testing

@testable import Capture

#if canImport(Glibc)
    import Glibc
#endif

/// The in-memory capture (``CaptureOptions/imageChunkSize``): main file + committed WAL frames read within one
/// read transaction, checked on the same snapshot, hashed while checked.
@Suite("TreeCapture: in-memory images")
struct ImageCaptureTests {
    static let chunk: Int64 = 64 << 10

    static func options(state: String? = nil, maximum: Int64 = 1 << 30) -> CaptureOptions {
        var options = CaptureOptions(stateDirectory: state, lockWait: 5)
        options.imageChunkSize = chunk
        options.imageMaximumSize = maximum
        return options
    }

    /// The chunk digests of `bytes` and the image digest over them (SHA-256 of the concatenated chunk digests).
    static func digests(_ bytes: [UInt8]) -> (chunks: [[UInt8]], image: String) {
        let chunks = stride(from: 0, to: bytes.count, by: Int(chunk)).map {
            Digest.sha256(bytes[$0..<min(bytes.count, $0 + Int(chunk))])
        }
        return (chunks, Digest.sha256Hex(chunks.flatMap { $0 }))
    }

    /// Writes `image` to `path` and checks its digests against its bytes.
    static func materialize(_ image: DatabaseImage, at path: String) throws {
        try image.write(to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(digests(bytes).image == image.sha256)
        #expect(digests(bytes).chunks == image.chunkDigests)
    }

    @Test func writerCommittingDuringCaptureGivesCommittedStates() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 3000)
        // The writer's automatic checkpoints copy frames into the main file while captures read it.
        let writer = try Python.start(Python.writer, [database, "30"])
        defer { writer.stop() }
        var lastCount = 0
        for round in 0..<15 {
            let before = SQLiteProbe.rows(database).max
            let captured = try TreeCapture.capture(source: source, options: Self.options(), logger: testLogger)
            defer { captured.remove() }
            #expect(captured.images.map(\.path) == ["opencode.db"], "round \(round): \(captured.warnings)")
            #expect(!treeListing(captured.path).contains("opencode.db"), "an in-memory image is not staged")
            guard let image = captured.images.first else { continue }
            let copy = scratch.sub("round-\(round).db")
            try Self.materialize(image, at: copy)
            #expect(SQLiteProbe.integrity(copy) == ["ok"], "round \(round)")
            let rows = SQLiteProbe.rows(copy)
            #expect(rows.min == 1 && rows.max == rows.count, "round \(round): ids not contiguous: \(rows)")
            #expect(rows.count % 3 == 0, "round \(round): a transaction of 3 rows was cut: \(rows)")
            #expect(rows.count >= before, "round \(round): \(rows.count) rows, \(before) committed before")
            #expect(rows.count >= lastCount, "round \(round): older than the previous capture")
            lastCount = rows.count
        }
        #expect(writer.isRunning, "the writer went on during every capture")
        #expect(lastCount > 3000, "the writer committed rows meanwhile")
    }

    /// Byte offsets where two database images differ, outside the page-1 header fields the backup API rewrites
    /// (change counter 24…27, schema cookie 40…43, version-valid-for and SQLite version 92…99).
    static func differences(_ a: [UInt8], _ b: [UInt8]) -> [Int] {
        let rewritten = Set(Array(24..<28) + Array(40..<44) + Array(92..<100))
        return zip(a, b).enumerated().compactMap { offset, pair in
            pair.0 != pair.1 && !rewritten.contains(offset) ? offset : nil
        }
    }

    @Test func imageEqualsTheBackupCopyWithFramesStillInTheWAL() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 500)
        // Rows committed and left in the WAL (no checkpoint), with updates and deletes over older pages.
        let holder = try Python.start(
            """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA wal_autocheckpoint=0")
            for i in range(40):
                db.execute("INSERT INTO t(payload) VALUES (randomblob(3000))")
                db.execute("UPDATE t SET payload = randomblob(100) WHERE id = ?", (i * 7 + 1,))
            db.execute("DELETE FROM t WHERE id % 11 = 0")
            print("ready", flush=True)
            time.sleep(120)
            """, [database])
        defer { holder.stop() }
        let walSize = (try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? Int) ?? 0
        #expect(walSize > 100_000, "frames are in the WAL")

        let image = try SQLiteImage.capture(source: database, wait: 5, chunkSize: Self.chunk, maxBytes: 1 << 30)
        let backup = scratch.sub("backup.db")
        try SQLiteBackup.copy(source: database, to: backup, wait: 5, pagesPerStep: 64)
        let copied = try [UInt8](Data(contentsOf: URL(fileURLWithPath: backup)))
        let read = [UInt8](image.buffer.all)
        #expect(read.count == copied.count)
        #expect(Self.differences(read, copied).isEmpty, "differ at \(Self.differences(read, copied).prefix(8))")
        #expect(Self.digests(read).image == image.sha256)
    }

    /// Rewrites `argv[2]` rows and inserts as many, then checkpoints in mode `argv[3]`.
    static let writeAndCheckpoint = """
        import sqlite3, sys
        db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
        db.execute("PRAGMA wal_autocheckpoint=0")
        for i in range(int(sys.argv[2])):
            db.execute("UPDATE t SET payload = randomblob(2000) WHERE id = ?", (i * 3 + 1,))
            db.execute("INSERT INTO t(payload) VALUES (randomblob(2000))")
        db.execute("PRAGMA wal_checkpoint(" + sys.argv[3] + ")")
        """

    /// The image stays what it was captured as while writers commit and checkpoint, its transaction holding.
    static func checkStable(_ captured: SQLiteImage.Captured, database: String, scratch: ScratchDirectory) throws {
        // The read transaction still holds: a checkpoint cannot go past the image's snapshot.
        try Python.run(
            """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0.2)
            busy, frames, done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            sys.exit(0 if busy == 1 and frames > 0 else 1)
            """, [database])
        // Writers go on and checkpoint as far as they may (PASSIVE: up to the image's snapshot).
        try Python.run(Self.writeAndCheckpoint, [database, "300", "PASSIVE"])
        #expect(
            Self.digests([UInt8](captured.buffer.all)).image == captured.sha256,
            "the image did not move under the writers")
        let copy = scratch.sub("copy.db")
        try CaptureFiles.writeFile(captured.buffer.all, to: copy, mode: 0o600)
        #expect(SQLiteProbe.integrity(copy) == ["ok"])
        #expect(SQLiteProbe.rows(copy).count == 1050)
    }

    @Test func aMappedImageStaysAsCapturedWhileWritersCheckpoint() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 1000)
        let writeAndCheckpoint = Self.writeAndCheckpoint
        try Python.run(writeAndCheckpoint, [database, "50", "TRUNCATE"])
        try Python.run(
            """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA wal_autocheckpoint=0")
            for i in range(30):
                db.execute("UPDATE t SET payload = randomblob(1000) WHERE id = ?", (i * 5 + 2,))
            import os; os._exit(0)
            """, [database])
        // The capture sees 1050 rows, with 30 updates only in the WAL; then writers rewrite pages and checkpoint.
        var image: SQLiteImage.Captured? = try SQLiteImage.capture(
            source: database, wait: 5, chunkSize: Self.chunk, maxBytes: 1 << 30)
        try Self.checkStable(try #require(image), database: database, scratch: scratch)
        // Once the image goes, its read transaction goes with it: a checkpoint then empties the WAL.
        image = nil
        try Python.run(writeAndCheckpoint, [database, "1", "TRUNCATE"])
        let wal = (try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? Int) ?? -1
        #expect(wal <= 0, "the WAL was emptied (or removed with the last connection) once the image went")
        #expect(SQLiteProbe.rows(database).count == 1351)
    }

    @Test func uncommittedAndGarbageTrailingFramesAreLeftOut() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 200)
        // 30 rows committed into the WAL, then a large open transaction whose pages spill into the WAL uncommitted.
        let spiller = try Python.start(
            """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA wal_autocheckpoint=0")
            db.execute("PRAGMA cache_size=10")
            for _ in range(30):
                db.execute("INSERT INTO t(payload) VALUES (randomblob(2000))")
            db.execute("BEGIN")
            for _ in range(400):
                db.execute("INSERT INTO t(payload) VALUES (randomblob(2000))")
            print("ready", flush=True)
            time.sleep(120)
            """, [database])
        defer { spiller.stop() }
        let wal = database + "-wal"
        let spilled = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        // Garbage after the uncommitted frames.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }))
        try handle.close()

        let captured = try TreeCapture.capture(source: source, options: Self.options(), logger: testLogger)
        defer { captured.remove() }
        #expect(captured.images.count == 1, "\(captured.warnings)")
        guard let image = captured.images.first else { return }
        let copy = scratch.sub("copy.db")
        try Self.materialize(image, at: copy)
        #expect(SQLiteProbe.integrity(copy) == ["ok"])
        #expect(SQLiteProbe.rows(copy).count == 230, "only committed rows (WAL was \(spilled) bytes)")
    }

    @Test func aWALChangedDuringTheReadFallsBackToTheBackupAPI() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 100)
        let holder = try Python.start(
            """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA wal_autocheckpoint=0")
            for _ in range(10):
                db.execute("INSERT INTO t(payload) VALUES (randomblob(500))")
            print("ready", flush=True)
            time.sleep(120)
            """, [database])
        defer { holder.stop() }
        // A reset seen after the frames were read (salts rewritten, as a restart does) is refused, never used.
        let wal = database + "-wal"
        let original = try Data(contentsOf: URL(fileURLWithPath: wal)).prefix(32)
        defer { try? Self.overwrite(wal, at: 16, with: Data(original[16..<24])) }
        #expect {
            _ = try SQLiteImage.capture(
                source: database, wait: 5, chunkSize: Self.chunk, maxBytes: 1 << 30,
                afterRead: { try? Self.overwrite(wal, at: 16, with: Data([1, 2, 3, 4, 5, 6, 7, 8])) })
        } throws: { error in
            guard let failure = error as? SQLiteImage.Failure else { return false }
            return failure.fallback && failure.message.contains("reset")
        }
        try Self.overwrite(wal, at: 16, with: Data(original[16..<24]))

        // Through TreeCapture, anything unusual (here an image over the size bound) is copied by the backup API.
        let captured = try TreeCapture.capture(
            source: source, options: Self.options(maximum: 4096), logger: testLogger)
        defer { captured.remove() }
        #expect(captured.images.isEmpty)
        #expect(captured.databases == ["opencode.db"], "\(captured.warnings)")
        #expect(SQLiteProbe.rows(captured.path + "/opencode.db").count == 110)
    }

    static func overwrite(_ path: String, at offset: UInt64, with bytes: Data) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: bytes)
        try handle.close()
    }

    @Test func rollbackJournalDatabasesAndSmallImagesAreHandled() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Python.makeDatabase(source + "/big.db", rows: 300, journalMode: "DELETE")
        try Python.makeDatabase(source + "/small.db", rows: 3)
        var options = Self.options(state: scratch.sub("state"))
        options.imageMinimumSize = 100_000
        let captured = try TreeCapture.capture(source: source, options: options, logger: testLogger)
        defer { captured.remove() }
        // The rollback-mode database is read directly too; the small one is written to the staging tree.
        #expect(captured.images.map(\.path) == ["big.db"], "\(captured.warnings)")
        #expect(Set(captured.databases) == ["big.db", "small.db"])
        #expect(treeListing(captured.path) == ["small.db"])
        #expect(SQLiteProbe.rows(captured.path + "/small.db").count == 3)
        guard let image = captured.images.first else { return }
        let copy = scratch.sub("big-copy.db")
        try Self.materialize(image, at: copy)
        #expect(SQLiteProbe.rows(copy).count == 300)
        #expect(SQLiteProbe.integrity(copy) == ["ok"])
    }

    @Test func aFailingCheckKeepsTheLastGoodCopy() throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("data")
        let state = scratch.sub("state")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let database = source + "/opencode.db"
        try Python.makeDatabase(database, rows: 200, journalMode: "DELETE")
        TreeCapture.capture(source: source, stateDirectory: state).remove()
        try SQLiteProbe.damage(database)

        let captured = try TreeCapture.capture(source: source, options: Self.options(state: state), logger: testLogger)
        defer { captured.remove() }
        #expect(captured.images.isEmpty)
        #expect(captured.reusedDatabases == ["opencode.db"], "\(captured.warnings)")
        #expect(captured.warnings.contains { $0.contains("quick_check") || $0.contains("malformed") })
        #expect(SQLiteProbe.rows(captured.path + "/opencode.db").count == 200)
    }
}
