import Foundation
import Hashing
import S3
import StorageCache
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Packs, chunks, snapshot refresh and garbage collection (manifest format 2), against LocalStack.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct SyncPackTests {
    typealias Support = SyncTestSupport

    static let root = "opencode-storage/github/owner-repo"

    /// Every object in `bucket` as key → (ETag, size), listed by boto3 (not by our client).
    static func boto3Objects(_ bucket: String) throws -> [String: (etag: String, size: Int64)] {
        let script = """
            import boto3, json, os, sys
            from botocore.config import Config
            s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1",
                              config=Config(s3={"addressing_style": "path"}))
            out = {}
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[1]):
                for item in page.get("Contents", []):
                    out[item["Key"]] = [item["ETag"], item["Size"]]
            json.dump(out, sys.stdout)
            """
        let json = try ChildProcess.python(script, [bucket])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [Any]] ?? [:]
        return object.mapValues { value in
            ((value.first as? String) ?? "", Int64((value.last as? NSNumber)?.int64Value ?? -1))
        }
    }

    /// Runs `storage-cache sync push --json`; returns the decoded report.
    static func cliPush(_ source: String, bucket: String, state: String, home: String) throws -> [String: Any] {
        let output = try ChildProcess.run(
            S3TestEnvironment.binary,
            SyncKillTests.arguments("push", path: source, bucket: bucket, state: state) + ["--json"],
            environment: SyncKillTests.environment(home: home))
        try #require(output.status == 0, "push failed: \(output.stderr)")
        return try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] ?? [:]
    }

    @Test(.enabled(if: SyncTestSupport.hasBinary))
    func tenMessagesAppendedToA150MBDatabasePushAtMostTwoMiBInAtMostFourObjects() async throws {
        let script = S3TestEnvironment.repositoryRoot + "/../shared/gen_storage.py"
        try #require(FileManager.default.fileExists(atPath: script), "needs \(script)")
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("packdb", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/opencode"
                let made = try ChildProcess.run("/usr/bin/env", ["python3", script, source, "--opencode-db"])
                try #require(made.status == 0, "gen_storage.py failed: \(made.stderr)")
                let state = dir + "/state"
                let first = try Self.cliPush(source, bucket: bucket, state: state, home: dir)
                #expect(first["committed"] as? Bool == true)
                let before = try Self.boto3Objects(bucket)

                let appended = try ChildProcess.run(
                    "/usr/bin/env", ["python3", script, source, "--opencode-db", "--append", "10"])
                try #require(appended.status == 0, "gen_storage.py --append failed: \(appended.stderr)")
                let second = try Self.cliPush(source, bucket: bucket, state: state, home: dir)
                #expect(second["committed"] as? Bool == true)
                let reportedBytes = (second["uploadedBytes"] as? NSNumber)?.int64Value ?? .max
                let reportedObjects = (second["objectsWritten"] as? NSNumber)?.intValue ?? .max
                #expect(reportedBytes <= 2 << 20, "the report says \(reportedBytes) bytes")
                #expect(reportedObjects <= 4, "the report says \(reportedObjects) objects")
                #expect(second["snapshotWritten"] as? Bool == false)

                // Cross-check against the bucket: objects that are new or whose ETag changed.
                let after = try Self.boto3Objects(bucket)
                let written = after.filter { key, value in before[key]?.etag != value.etag }
                let writtenBytes = written.values.reduce(Int64(0)) { $0 + $1.size }
                #expect(written.count <= 4, "new or changed objects: \(written.keys.sorted())")
                #expect(written.count == reportedObjects, "\(written.keys.sorted())")
                #expect(writtenBytes <= 2 << 20, "\(writtenBytes) bytes in \(written.keys.sorted())")
                #expect(writtenBytes == reportedBytes)
                print("SyncPackTests: second push wrote \(reportedBytes) bytes in \(written.keys.sorted())")
                #expect(written.keys.contains { $0.hasPrefix(Self.root + "/packs/") })

                // The pushed state restores: the pull checks every SHA-256, and SQLite checks the database.
                let restored = dir + "/restored"
                let pulled = try await Support.engine(client, bucket: bucket).pull(into: restored)
                #expect(pulled.generation == 2)
                let check = try ChildProcess.run(
                    "/usr/bin/env",
                    [
                        "python3", "-c",
                        "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check')"
                            + ".fetchone()[0])", restored + "/opencode.db",
                    ])
                #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(check.stderr)")
            }
        }
    }

    /// Overwrites a seventh of `path` (at a rotating place) with fresh random bytes.
    static func rewriteSeventh(_ path: String, size: Int, round: Int) throws {
        let part = size / 7
        let offset = UInt64((round % 7) * part)
        var generator = SeededGenerator(seed: UInt64(1000 + round))
        let bytes = (0..<part).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    /// Every pack range and snapshot a manifest names exists (HEAD) and is long enough.
    static func checkRanges(of manifest: Manifest, client: S3Client, bucket: String) async throws {
        var ends: [String: Int64] = [:]
        for entry in manifest.files {
            if let pack = entry.pack { ends[pack.key] = max(ends[pack.key] ?? 0, pack.end) }
            if let list = entry.chunks {
                for chunk in try list.chunks(fileSize: entry.size) {
                    ends[chunk.location.key] = max(ends[chunk.location.key] ?? 0, chunk.location.end)
                }
            }
        }
        for (key, end) in ends {
            let head = try await client.headObject(bucket: bucket, key: key)
            #expect(
                head.contentLength >= end,
                "generation \(manifest.generation) names \(key) up to \(end), which is shorter")
        }
        if let snapshot = manifest.snapshot {
            _ = try await client.headObject(bucket: bucket, key: snapshot.key)
        }
    }

    /// A small generated tree plus `opencode.db`, `size` random bytes; returns the big file's path.
    static func treeWithBigFile(_ source: String, sessions: Int, size: Int, seed: UInt64) throws -> String {
        try Support.generate(source, sessions: sessions, messages: sessions, large: 0)
        let big = source + "/opencode.db"
        try S3TestEnvironment.writeRandomFile(big, size: size, seed: seed)
        return big
    }

    /// An engine that chunks files of 1 MiB and more.
    static func chunkingEngine(_ client: S3Client, bucket: String, snapshot: Bool) throws -> SyncEngine {
        var options = SyncOptions()
        options.chunkThreshold = 1 << 20
        options.snapshot = snapshot
        return SyncEngine(
            client: client, location: try SyncLocation(bucket: bucket, agentIdentity: .github, repo: "owner/repo"),
            options: options, logger: S3TestEnvironment.logger)
    }

    @Test func manyGenerationsRewritingASeventhKeepEveryKeptRangeAndBoundThePacks() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("packgc", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                let size = 14 << 20
                let big = try Self.treeWithBigFile(source, sessions: 4, size: size, seed: 5)
                let engine = try Self.chunkingEngine(client, bucket: bucket, snapshot: true)
                _ = try await engine.push(from: source)
                var largest: Int64 = 0
                // 24 rounds: without collection the packs would pass 4× the file (14 + 24 × 2 MiB).
                for round in 0..<24 {
                    try Self.rewriteSeventh(big, size: size, round: round)
                    let pushed = try await engine.push(from: source)
                    #expect(pushed.committed && pushed.packBytes > 0)
                    // New chunks, plus the live rest of a pack repacked when it fell under half: never the file.
                    #expect(pushed.packBytes < Int64(size), "round \(round) packed \(pushed.packBytes) bytes")
                    let packs = try await client.listObjects(bucket: bucket, prefix: Self.root + "/packs/").objects
                    let packBytes = packs.reduce(Int64(0)) { $0 + $1.size }
                    largest = max(largest, packBytes)
                    #expect(packBytes < 4 * Int64(size), "round \(round): \(packBytes) bytes under packs/")
                    // Every kept generation (the current one and the two copies before it) is whole.
                    let current = try #require(try await engine.readManifest()).manifest
                    try await Self.checkRanges(of: current, client: client, bucket: bucket)
                    for generation in (current.generation - 2)..<current.generation where generation >= 1 {
                        let copy = try await client.getObjectBytes(
                            bucket: bucket, key: Self.root + "/manifests/\(generation).json", limit: 64 << 20)
                        try await Self.checkRanges(
                            of: try Manifest.decode(copy.bytes), client: client, bucket: bucket)
                    }
                }
                let history = try await client.listObjects(bucket: bucket, prefix: Self.root + "/manifests/")
                #expect(history.objects.count <= 3, "\(history.objects.map(\.key))")
                let restored = dir + "/restored"
                _ = try await engine.pull(into: restored)
                #expect(try Support.describe(restored) == Support.describe(source))
                #expect(largest > 0)
                print("SyncPackTests: largest packs/ total \(largest) bytes for a \(size)-byte file")
            }
        }
    }

    /// A push killed between its commit and its `manifests/<g>.json` copy leaves a kept generation unreadable:
    /// the next pushes collect no pack or snapshot that generation might name (a reader may still hold it), and
    /// collection resumes once the gap leaves the kept window.
    @Test func aMissingManifestCopyStopsCollectionUntilItLeavesTheKeptWindow() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("packgap", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                let size = 7 << 20
                let big = try Self.treeWithBigFile(source, sessions: 2, size: size, seed: 9)
                let engine = try Self.chunkingEngine(client, bucket: bucket, snapshot: false)
                _ = try await engine.push(from: source)
                for round in 0..<3 {
                    try Self.rewriteSeventh(big, size: size, round: round)
                    _ = try await engine.push(from: source)
                }
                // Generation 4 is current; its copy goes missing, as after a kill right after the commit.
                let lost = try await client.getObjectBytes(
                    bucket: bucket, key: Self.root + "/manifests/4.json", limit: 64 << 20)
                let lostManifest = try Manifest.decode(lost.bytes)
                try await client.deleteObject(bucket: bucket, key: Self.root + "/manifests/4.json")
                for round in 3..<5 {
                    try Self.rewriteSeventh(big, size: size, round: round)
                    _ = try await engine.push(from: source)
                    // Generations 5 and 6 keep 4 in their window: every range it names is still there.
                    try await Self.checkRanges(of: lostManifest, client: client, bucket: bucket)
                }
                let before = try await client.listObjects(bucket: bucket, prefix: Self.root + "/packs/").objects
                for round in 5..<9 {
                    try Self.rewriteSeventh(big, size: size, round: round)
                    _ = try await engine.push(from: source)
                }
                // Past the window collection is back: what no kept generation names is gone.
                let after = try await client.listObjects(bucket: bucket, prefix: Self.root + "/packs/").objects
                let current = try #require(try await engine.readManifest()).manifest
                var named = Set<String>()
                for generation in (current.generation - 2)...current.generation {
                    let copy = try await client.getObjectBytes(
                        bucket: bucket, key: Self.root + "/manifests/\(generation).json", limit: 64 << 20)
                    let manifest = try Manifest.decode(copy.bytes)
                    try await Self.checkRanges(of: manifest, client: client, bucket: bucket)
                    for entry in manifest.files {
                        if let pack = entry.pack { named.insert(pack.key) }
                        for chunk in try entry.chunks?.chunks(fileSize: entry.size) ?? [] {
                            named.insert(chunk.location.key)
                        }
                    }
                }
                let unnamed = after.map(\.key).filter { !named.contains($0) }
                #expect(unnamed.isEmpty, "packs no kept generation names: \(unnamed)")
                #expect(Set(before.map(\.key)).subtracting(after.map(\.key)).count > 0, "nothing was collected")
            }
        }
    }

    @Test func coldPullsAfterSeveralIncrementalPushesEqualTheTree() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("packrt", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                try Support.generate(source, sessions: 20, messages: 8, large: 1, largeMB: 9)
                let engine = try Support.engine(client, bucket: bucket)
                let first = try await engine.push(from: source)
                #expect(first.snapshotWritten)
                var packed = 0
                for round in 1...5 {
                    try Support.mutate(source, percent: 1, seed: UInt64(round))
                    if round == 3 {
                        try Self.rewriteSeventh(source + "/snapshot/blob_0.bin", size: 9 << 20, round: round)
                    }
                    let pushed = try await engine.push(from: source)
                    #expect(pushed.committed && pushed.generation == round + 1)
                    if pushed.packBytes > 0 && !pushed.snapshotWritten { packed += 1 }
                    // A 1% change (and a rewritten seventh of the blob) moves far less than the tree.
                    #expect(pushed.uploadedBytes < pushed.bytes / 4, "round \(round): \(pushed.uploadedBytes) bytes")
                }
                #expect(packed >= 3, "only \(packed) pushes wrote a pack instead of a snapshot")
                let manifest = try #require(try await engine.readManifest()).manifest
                #expect(manifest.formatVersion == 2)
                #expect(manifest.files.contains { $0.pack != nil })
                #expect(manifest.files.contains { $0.chunks != nil })
                let want = try Support.describe(source)
                for snapshot in [true, false] {
                    let restored = dir + "/cold-\(snapshot)"
                    let pulled = try await Support.engine(client, bucket: bucket, snapshot: snapshot).pull(
                        into: restored)
                    #expect(pulled.source == (snapshot ? .snapshot : .objects))
                    #expect(pulled.warnings.isEmpty, "\(pulled.warnings)")
                    #expect(try Support.describe(restored) == want)
                    #expect(Support.leftovers(beside: restored).isEmpty)
                }
            }
        }
    }

    @Test func aDamagedPackFailsThePullAsCorruptedAndLeavesTheDestination() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("packbad", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                try Support.generate(source, sessions: 6, messages: 4, large: 1, largeMB: 9)
                let engine = try Support.engine(client, bucket: bucket)
                _ = try await engine.push(from: source)
                let manifest = try #require(try await engine.readManifest()).manifest
                let pack = try #require(manifest.packs?.keys.first)
                let size = try #require(manifest.packs?[pack])
                try await client.putObject(
                    bucket: bucket, key: pack, body: .bytes(Array(repeating: 0x5a, count: Int(size))))
                let destination = dir + "/dest"
                try Support.copyTree(source, to: destination)
                try Data("keep".utf8).write(to: URL(fileURLWithPath: destination + "/mine.txt"))
                let before = try Support.describe(destination)
                do {
                    _ = try await engine.pull(into: destination)
                    Issue.record("a pull from a damaged pack succeeded")
                } catch let error as SyncError {
                    #expect(error.code == .corrupted, "\(error)")
                }
                #expect(try Support.describe(destination) == before)
            }
        }
    }
}
