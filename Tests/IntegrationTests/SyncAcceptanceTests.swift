import Foundation
import Hashing
import Logging
import S3
import StorageCache
import Testing

/// The sync engine's acceptance tests against LocalStack: exact round trips, stale destinations, corruption,
/// injected faults, concurrent pushes and the crash window between uploads and the manifest commit.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct SyncAcceptanceTests {
    typealias Support = SyncTestSupport

    static let root = "opencode-storage/github/owner-repo"

    /// The error a pull ends with, or `nil` when it succeeds.
    static func pullError(_ engine: SyncEngine, into destination: String) async -> SyncError? {
        do throws(SyncError) {
            _ = try await engine.pull(into: destination)
            return nil
        } catch {
            return error
        }
    }

    static func pushOutcome(_ engine: SyncEngine, from directory: String) async -> Result<PushResult, SyncError> {
        do throws(SyncError) {
            return .success(try await engine.push(from: directory))
        } catch {
            return .failure(error)
        }
    }

    @Test func incrementalPushThenPullIntoAnEmptyDirectoryGivesTheIdenticalTree() async throws {
        let client = try S3TestEnvironment.makeClient()
        let proxy = try FaultProxy(faultRate: 0)
        defer { proxy.stop() }
        let counted = try S3TestEnvironment.makeClient(endpoint: proxy.endpoint)
        try await S3TestEnvironment.withBucket("accept", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                try Support.generate(source)
                let engine = try Support.engine(client, bucket: bucket)
                let first = try await engine.push(from: source)
                #expect(first.committed && first.generation == 1 && first.snapshotWritten)
                // Files at or over the chunk threshold live in packs, not under storage/.
                let fileCount = try Support.regularFiles(source, below: SyncOptions().chunkThreshold).count
                #expect(first.uploadedFiles == fileCount)

                let mutation = try Support.mutate(source, percent: 1)
                let second = try await engine.push(from: source)
                #expect(second.committed && second.generation == 2)
                #expect(second.uploadedFiles == mutation.changed.count + mutation.added.count)
                #expect(second.deletedObjects >= mutation.deleted.count)
                let keys = try await Support.keys(client, bucket: bucket)
                for path in mutation.deleted {
                    #expect(!keys.contains(Self.root + "/storage/" + path), "\(path) was deleted locally")
                }
                for path in mutation.added { #expect(keys.contains(Self.root + "/storage/" + path)) }
                let storedFiles = keys.filter { $0.hasPrefix(Self.root + "/storage/") }.count
                #expect(
                    storedFiles == (try Support.regularFiles(source, below: SyncOptions().chunkThreshold).count),
                    "only the current files are stored")
                #expect(keys.filter { $0.hasPrefix(Self.root + "/snapshot-") }.count <= 2)

                let want = try Support.describe(source)
                for snapshot in [true, false] {
                    let restored = dir + "/restored-\(snapshot)"
                    let pulled = try await Support.engine(client, bucket: bucket, snapshot: snapshot).pull(
                        into: restored)
                    #expect(pulled.source == (snapshot ? .snapshot : .objects))
                    #expect(pulled.generation == 2)
                    #expect(pulled.warnings.isEmpty)
                    #expect(try Support.describe(restored) == want)
                    #expect(Support.leftovers(beside: restored).isEmpty)
                }

                // A push with nothing to do reads the manifest and nothing else: no upload, no commit.
                let manifestBefore = try await client.headObject(bucket: bucket, key: Self.root + "/manifest.json")
                try proxy.reset()
                let idle = try await Support.engine(counted, bucket: bucket).push(from: source)
                let stats = try proxy.stats()
                #expect(!idle.committed && idle.uploadedFiles == 0 && idle.deletedObjects == 0)
                #expect(idle.generation == 2)
                #expect(stats.requests == 1, "a no-change push made \(stats.requests) requests")
                let manifestAfter = try await client.headObject(bucket: bucket, key: Self.root + "/manifest.json")
                #expect(manifestAfter.etag == manifestBefore.etag)
                #expect(try await Support.keys(client, bucket: bucket) == keys)
            }
        }
    }

    @Test(arguments: [true, false])
    func pullOverAStaleDestinationEndsExactlyAtTheManifest(snapshot: Bool) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("stale", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                try Support.generate(source, sessions: 6, messages: 5, large: 0)
                _ = try await Support.engine(client, bucket: bucket).push(from: source)

                let destination = dir + "/dest"
                try Support.copyTree(source, to: destination)
                try Support.mutate(destination, percent: 20, seed: 9)
                let fm = FileManager.default
                try fm.createDirectory(atPath: destination + "/stale/dir", withIntermediateDirectories: true)
                try Data("stale".utf8).write(to: URL(fileURLWithPath: destination + "/stale/dir/file.json"))
                try fm.removeItem(atPath: destination + "/empty/nested")
                try Data("a file where the manifest has a directory".utf8).write(
                    to: URL(fileURLWithPath: destination + "/empty/nested"))
                try fm.createSymbolicLink(atPath: destination + "/dangling", withDestinationPath: "/nowhere")
                #expect(try Support.describe(destination) != Support.describe(source))

                let pulled = try await Support.engine(client, bucket: bucket, snapshot: snapshot).pull(
                    into: destination)
                #expect(pulled.source == (snapshot ? .snapshot : .objects))
                #expect(try Support.describe(destination) == Support.describe(source))
                #expect(Support.leftovers(beside: destination).isEmpty)
            }
        }
    }

    @Test func aMissingOrAlteredObjectFailsThePullAsCorruptedAndLeavesTheDestinationUntouched() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("corrupt", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                try Support.generate(source, sessions: 6, messages: 5, large: 0)
                _ = try await Support.engine(client, bucket: bucket).push(from: source)
                let perFile = try Support.engine(client, bucket: bucket, snapshot: false)

                let destination = dir + "/dest"
                try Support.generate(destination, sessions: 3, messages: 3, large: 0, seed: 5)
                let before = try Support.describe(destination)
                let files = try Support.regularFiles(source)

                // An object whose bytes differ from the manifest's SHA-256 (same size, so only the hash tells).
                let altered = Self.root + "/storage/" + files[files.count / 2]
                let original = try await client.getObjectBytes(bucket: bucket, key: altered, limit: 1 << 20).bytes
                var flipped = original
                flipped[flipped.count / 2] ^= 0x20
                try await client.putObject(bucket: bucket, key: altered, body: .bytes(flipped))
                let alteredError = await Self.pullError(perFile, into: destination)
                #expect(alteredError?.code == .corrupted, "\(String(describing: alteredError))")
                #expect(try Support.describe(destination) == before)
                #expect(Support.leftovers(beside: destination).isEmpty)
                try await client.putObject(bucket: bucket, key: altered, body: .bytes(original))

                // An object the manifest names that is gone.
                let missing = Self.root + "/storage/" + files[1]
                try await client.deleteObject(bucket: bucket, key: missing)
                let missingError = await Self.pullError(perFile, into: destination)
                #expect(missingError?.code == .corrupted, "\(String(describing: missingError))")
                #expect(try Support.describe(destination) == before)
                #expect(Support.leftovers(beside: destination).isEmpty)
                try await client.uploadFile(bucket: bucket, key: missing, path: source + "/" + files[1])

                // A damaged snapshot: the pull falls back to the per-file objects and succeeds.
                let manifest = try #require(try await perFile.readManifest()).manifest
                let snapshot = try #require(manifest.snapshot)
                let tarball = try await client.getObjectBytes(bucket: bucket, key: snapshot.key, limit: 64 << 20).bytes
                var damaged = tarball
                damaged[damaged.count / 3] ^= 0xff
                try await client.putObject(bucket: bucket, key: snapshot.key, body: .bytes(damaged))
                let pulled = try await Support.engine(client, bucket: bucket).pull(into: destination)
                #expect(pulled.source == .objects)
                #expect(!pulled.warnings.isEmpty)
                #expect(try Support.describe(destination) == Support.describe(source))
                #expect(Support.leftovers(beside: destination).isEmpty)

                // A truncated snapshot, likewise.
                try await client.putObject(
                    bucket: bucket, key: snapshot.key, body: .bytes(Array(tarball.prefix(tarball.count / 2))))
                let again = try await Support.engine(client, bucket: bucket).pull(into: dir + "/fresh")
                #expect(again.source == .objects)
                #expect(try Support.describe(dir + "/fresh") == Support.describe(source))

                // A damaged snapshot and a damaged object: corrupted, destination untouched.
                try await client.putObject(bucket: bucket, key: altered, body: .bytes(flipped))
                let current = try Support.describe(destination)
                let both = await Self.pullError(try Support.engine(client, bucket: bucket), into: destination)
                #expect(both?.code == .corrupted, "\(String(describing: both))")
                #expect(try Support.describe(destination) == current)
            }
        }
    }

    @Test func pushAndPullThroughTenPercentInjectedFaultsEndIdentical() async throws {
        let client = try S3TestEnvironment.makeClient()
        let proxy = try FaultProxy(faultRate: 0.1, resetShare: 0.5, seed: 23)
        defer { proxy.stop() }
        let faulty = try S3TestEnvironment.makeClient(
            endpoint: proxy.endpoint, retryPolicy: RetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(20)))
        try await S3TestEnvironment.withBucket("faults", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                try Support.generate(source)
                let engine = try Support.engine(faulty, bucket: bucket)
                let first = try await engine.push(from: source)
                #expect(first.committed && first.snapshotWritten)
                try Support.mutate(source, percent: 5)
                let second = try await engine.push(from: source)
                #expect(second.committed && second.generation == 2 && second.objectsWritten > 0)
                let want = try Support.describe(source)
                for snapshot in [true, false] {
                    let restored = dir + "/restored-\(snapshot)"
                    try Support.generate(restored, sessions: 2, messages: 2, large: 0, seed: 3)
                    let pulled = try await Support.engine(faulty, bucket: bucket, snapshot: snapshot).pull(
                        into: restored)
                    #expect(pulled.source == (snapshot ? .snapshot : .objects))
                    #expect(try Support.describe(restored) == want)
                    #expect(Support.leftovers(beside: restored).isEmpty)
                }
                let stats = try proxy.stats()
                #expect(stats.faults > 10, "the proxy injected \(stats.faults) faults in \(stats.requests) requests")
                // The S3 copy itself holds exactly the tree (checked without the proxy).
                let exact = dir + "/exact"
                _ = try await Support.engine(client, bucket: bucket, snapshot: false).pull(into: exact)
                #expect(try Support.describe(exact) == want)
            }
        }
    }

    @Test func twoConcurrentPushesEndInOneCompleteConsistentState() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("race", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let base = dir + "/base"
                try Support.generate(base, sessions: 10, messages: 6, large: 0)
                _ = try await Support.engine(client, bucket: bucket).push(from: base)
                for round in 0..<8 {
                    let a = dir + "/a\(round)"
                    let b = dir + "/b\(round)"
                    try Support.copyTree(base, to: a)
                    try Support.copyTree(base, to: b)
                    try Support.mutate(a, percent: 30, seed: UInt64(100 + round))
                    try Support.mutate(b, percent: 30, seed: UInt64(200 + round))
                    let trees = [try Support.describe(a), try Support.describe(b)]
                    let engineA = try Support.engine(client, bucket: bucket)
                    let engineB = try Support.engine(client, bucket: bucket)
                    async let pushA = Self.pushOutcome(engineA, from: a)
                    async let pushB = Self.pushOutcome(engineB, from: b)
                    let outcomes = await [pushA, pushB]
                    var committed = 0
                    for outcome in outcomes {
                        switch outcome {
                        case .success(let result): if result.committed { committed += 1 }
                        case .failure(let error): #expect(error.code == .conflict, "round \(round): \(error)")
                        }
                    }
                    #expect(committed >= 1, "round \(round): neither push committed")

                    let viaSnapshot = dir + "/pulled-snapshot-\(round)"
                    let pulled = try await Support.engine(client, bucket: bucket).pull(into: viaSnapshot)
                    #expect(pulled.source == .snapshot, "round \(round): \(pulled.warnings)")
                    let got = try Support.describe(viaSnapshot)
                    #expect(trees.contains(got), "round \(round): the pulled tree is neither pushed tree")
                    let viaObjects = dir + "/pulled-objects-\(round)"
                    let perFile = await Self.pullError(
                        try Support.engine(client, bucket: bucket, snapshot: false), into: viaObjects)
                    #expect(perFile == nil, "round \(round): per-file pull failed: \(String(describing: perFile))")
                    if perFile == nil { #expect(try Support.describe(viaObjects) == got) }
                    try Support.copyTree(trees[0] == got ? a : b, to: base)
                }
            }
        }
    }

    /// A push killed after uploading changed per-file objects but before its manifest commit: the old manifest's
    /// snapshot still restores the old tree; a per-file pull of the old manifest fails as corrupted (never a
    /// half-restored tree); the next push repairs the per-file copy.
    @Test func aPushStoppedBeforeItsCommitLeavesTheOldStateRestorable() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("crashwin", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                try Support.generate(source, sessions: 6, messages: 5, large: 0)
                let engine = try Support.engine(client, bucket: bucket)
                _ = try await engine.push(from: source)
                let old = try Support.describe(source)

                // What the killed push got done: its changed and new objects, and part of a snapshot upload.
                let mutation = try Support.mutate(source, percent: 10, seed: 77)
                for path in mutation.changed + mutation.added {
                    try await client.uploadFile(
                        bucket: bucket, key: Self.root + "/storage/" + path, path: source + "/" + path)
                }
                try await client.putObject(
                    bucket: bucket, key: Self.root + "/snapshot-deadbeefdeadbeef.tar.zst", body: .bytes([1, 2, 3]))

                let restored = dir + "/restored"
                let pulled = try await engine.pull(into: restored)
                #expect(pulled.source == .snapshot && pulled.generation == 1)
                #expect(try Support.describe(restored) == old)

                let destination = dir + "/dest"
                try Support.generate(destination, sessions: 2, messages: 2, large: 0, seed: 4)
                let before = try Support.describe(destination)
                let perFile = await Self.pullError(
                    try Support.engine(client, bucket: bucket, snapshot: false), into: destination)
                #expect(perFile?.code == .corrupted, "\(String(describing: perFile))")
                #expect(try Support.describe(destination) == before)
                #expect(Support.leftovers(beside: destination).isEmpty)

                // The next push repairs everything and removes the orphaned snapshot.
                let repaired = try await engine.push(from: source)
                #expect(repaired.committed && repaired.generation == 2)
                let objects = try await Support.engine(client, bucket: bucket, snapshot: false).pull(into: destination)
                #expect(objects.source == .objects)
                #expect(try Support.describe(destination) == Support.describe(source))
                let keys = try await Support.keys(client, bucket: bucket, prefix: Self.root + "/snapshot-")
                #expect(!keys.contains(Self.root + "/snapshot-deadbeefdeadbeef.tar.zst"))
            }
        }
    }
}
