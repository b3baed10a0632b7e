import Capture
import Foundation
import S3
import StorageCache
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `SyncEngine.push(from:)` with databases read into memory (chunked ones never touch the staging tree) while a
/// writer commits: every pushed generation pulls back as one committed state, never older than the one before.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct SyncImageCaptureTests {
    @Test func pushesUnderALiveWriterPullBackAsCommittedStates() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("image-capture", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/opencode"
                let writer = try SyncCaptureTests.makeLiveDirectory(source)
                defer {
                    kill(writer.processIdentifier, SIGKILL)
                    writer.waitUntilExit()
                }
                var options = try SyncCaptureTests.settings(bucket: bucket, state: dir + "/state")
                options.chunkThreshold = 256 << 10  // the 2 MB database is chunked, so captured into memory
                let engine = SyncEngine(
                    client: client,
                    location: try SyncLocation(bucket: bucket, agentIdentity: .github, repo: "owner/repo"),
                    options: options, logger: S3TestEnvironment.logger)
                var last = 0
                for round in 0..<5 {
                    let before = try SyncCaptureTests.probe(source + "/opencode.db").rows.first ?? 0
                    let pushed = try await engine.push(from: source)
                    #expect(pushed.committed, "round \(round): \(pushed.warnings)")
                    let manifest = try #require(try await engine.readManifest()).manifest
                    let entry = try #require(manifest.entriesByPath["opencode.db"])
                    let list = try #require(entry.chunks, "round \(round)")
                    // The in-memory capture's digest is over the chunk digests (no second pass over the bytes).
                    #expect(list.fileDigest == ChunkList.chunkDigestsKind)
                    #expect(
                        entry.sha256
                            == ChunkList.digestOfChunks(try list.chunks(fileSize: entry.size).map(\.sha256)))

                    let restored = dir + "/restored-\(round)"
                    _ = try await engine.pull(into: restored)
                    let probe = try SyncCaptureTests.probe(restored + "/opencode.db")
                    #expect(probe.integrity == "ok", "round \(round)")
                    #expect(probe.rows.count == 3, "round \(round)")
                    guard probe.rows.count == 3 else { continue }
                    #expect(probe.rows[1] == 1 && probe.rows[2] == probe.rows[0], "round \(round): \(probe.rows)")
                    #expect(probe.rows[0] >= before, "round \(round): \(probe.rows[0]) rows, \(before) before")
                    #expect(probe.rows[0] >= last, "round \(round): older than the previous push")
                    last = probe.rows[0]
                }
                #expect(writer.isRunning)
                // The in-memory capture writes no database copy: nothing is left beside the source or in the state.
                let beside = try FileManager.default.contentsOfDirectory(atPath: dir)
                #expect(!beside.contains { $0.contains(".sc-capture-") }, "\(beside)")
            }
        }
    }
}

extension SyncImageCaptureTests {
    /// A database held under an exclusive lock cannot be captured: the push keeps the stored generation's entry
    /// (its last good state in S3) instead of deleting it.
    @Test func aLockedDatabaseKeepsItsStoredEntry() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("image-locked", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/opencode"
                let writer = try SyncCaptureTests.makeLiveDirectory(source)
                var options = try SyncCaptureTests.settings(bucket: bucket, state: dir + "/state")
                options.chunkThreshold = 256 << 10
                let engine = SyncEngine(
                    client: client,
                    location: try SyncLocation(bucket: bucket, agentIdentity: .github, repo: "owner/repo"),
                    options: options, logger: S3TestEnvironment.logger)
                _ = try await engine.push(from: source)
                kill(writer.processIdentifier, SIGKILL)
                writer.waitUntilExit()
                let stored = try #require(try await engine.readManifest()).manifest.entriesByPath["opencode.db"]

                let locker = Process()
                locker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                let ready = Pipe()
                locker.standardOutput = ready
                locker.arguments = [
                    "python3", "-c",
                    """
                    import sqlite3, sys, time
                    db = sqlite3.connect(sys.argv[1], isolation_level=None)
                    db.execute("PRAGMA locking_mode=EXCLUSIVE")
                    db.execute("BEGIN EXCLUSIVE")
                    db.execute("INSERT INTO probe(v) VALUES (randomblob(10))")
                    print("locked", flush=True)
                    time.sleep(60)
                    """, source + "/opencode.db",
                ]
                try locker.run()
                defer {
                    kill(locker.processIdentifier, SIGKILL)
                    locker.waitUntilExit()
                }
                _ = ready.fileHandleForReading.availableData
                try Data("new".utf8).write(to: URL(fileURLWithPath: source + "/note.txt"))
                let pushed = try await engine.push(from: source)
                #expect(pushed.warnings.contains { $0.contains("opencode.db") && $0.contains("skipped") })
                let manifest = try #require(try await engine.readManifest()).manifest
                #expect(manifest.entriesByPath["note.txt"] != nil, "the rest of the tree was pushed")
                #expect(manifest.entriesByPath["opencode.db"] == stored, "the stored entry is kept as it was")
                let restored = dir + "/restored"
                _ = try await engine.pull(into: restored)
                #expect(try SyncCaptureTests.probe(restored + "/opencode.db").integrity == "ok")
            }
        }
    }
}

extension SyncImageCaptureTests {
    /// Pushes from memory (digest over chunks) and by the backup API (whole-file digest) alternate on one prefix:
    /// each pull gives the database intact, and a switch moves at most the first chunk again; a damaged pack fails
    /// the pull.
    @Test func digestKindsAlternateAndADamagedChunkFailsThePull() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("image-kinds", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/opencode"
                let writer = try SyncCaptureTests.makeLiveDirectory(source)
                kill(writer.processIdentifier, SIGKILL)
                writer.waitUntilExit()
                var options = try SyncCaptureTests.settings(bucket: bucket, state: dir + "/state")
                options.chunkThreshold = 256 << 10
                let location = try SyncLocation(bucket: bucket, agentIdentity: .github, repo: "owner/repo")
                let memory = SyncEngine(
                    client: client, location: location, options: options, logger: S3TestEnvironment.logger)
                let backup = memory.with { $0.captureInMemory = false }
                var kinds: [String?] = []
                for (round, engine) in [memory, backup, memory].enumerated() {
                    let pushed = try await engine.push(from: source)
                    // Only the first chunk differs: the backup API rewrites header fields of page 1.
                    if round > 0 { #expect(pushed.packBytes <= 64 << 10, "round \(round): no other chunk moves") }
                    let manifest = try #require(try await engine.readManifest()).manifest
                    kinds.append(manifest.entriesByPath["opencode.db"]?.chunks?.fileDigest)
                    let restored = dir + "/restored-\(round)"
                    _ = try await engine.pull(into: restored)
                    let probe = try SyncCaptureTests.probe(restored + "/opencode.db")
                    #expect(probe.integrity == "ok", "round \(round)")
                }
                #expect(kinds == [ChunkList.chunkDigestsKind, nil, ChunkList.chunkDigestsKind])

                let manifest = try #require(try await memory.readManifest()).manifest
                let pack = try #require(manifest.packs?.keys.first)
                let size = try #require(manifest.packs?[pack])
                try await client.putObject(
                    bucket: bucket, key: pack, body: .bytes(Array(repeating: 0x5a, count: Int(size))))
                do {
                    _ = try await memory.pull(into: dir + "/damaged")
                    Issue.record("a pull from a damaged pack succeeded")
                } catch let error as SyncError {
                    #expect(error.code == .corrupted, "\(error)")
                }
            }
        }
    }
}
