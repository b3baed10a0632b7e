import Foundation
import Logging
import S3
import StorageCache
import Testing

/// Freshness across the two stores (issue 10, item 1) through the library, on LocalStack: primary entries carry
/// the S3 generation, a restore trusts the newer store, a stale host's save never rolls S3 back.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct FreshnessLibraryTests {
    typealias F = Freshness

    func withSetup(_ label: String, _ body: (_ bucket: String, _ dir: String) async throws -> Void) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket(label, client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in try await body(bucket, dir) }
        }
    }

    /// Generation 1 in both stores (host A, key `bot-1`), then generation 2 in S3 only (host B, no primary).
    func twoGenerations(bucket: String, dir: String) async throws {
        try F.writeTree(dir + "/a", version: 1)
        let hostA = try F.host(bucket: bucket, dir: dir, storage: dir + "/a", cache: dir + "/cache", key: "bot-1")
        let first = try await hostA.save()
        #expect(first.primary?.outcome == .saved)
        #expect(first.s3?.outcome == "pushed" && first.s3?.generation == 1)
        let entry = try await LocalTarballStore(directory: dir + "/cache").lookup(key: "bot-1", restoreKeys: [])
        #expect(GenerationStamp(metadata: entry.metadata)?.generation == 1, "the primary entry records generation 1")

        let hostB = try F.host(bucket: bucket, dir: dir, storage: dir + "/b", cache: nil, key: "bot-1")
        #expect(try await hostB.restore().generation == 1)
        try F.writeTree(dir + "/b", version: 2)
        let second = try await hostB.save()
        #expect(second.s3?.outcome == "pushed" && second.s3?.generation == 2, "\(second.warnings)")
    }

    @Test func aRestoreKeyHitGetsTheNewerS3GenerationAndAStaleSaveDoesNotRollS3Back() async throws {
        try await withSetup("fresh-accept") { bucket, dir in
            try await twoGenerations(bucket: bucket, dir: dir)

            // A restore through a restore key: the primary's `bot-1` (generation 1) loses to S3's generation 2.
            for order in [RestoreOrder.newest, .primaryFirst] {
                // Each order on its own copy of host A's cache (a restore from S3 warms the cache under bot-2).
                let cache = dir + "/cache-\(order.rawValue)"
                try FileManager.default.copyItem(atPath: dir + "/cache", toPath: cache)
                let hostC = try F.host(
                    bucket: bucket, dir: dir, storage: dir + "/c-\(order.rawValue)", cache: cache,
                    key: "bot-2", restoreKeys: ["bot-"], order: order)
                let restored = try await hostC.restore()
                #expect(restored.source == .s3, "\(order): \(restored)")
                #expect(restored.generation == 2 && restored.s3Generation == 2 && restored.primaryGeneration == 1)
                #expect(restored.sourceReason?.contains("S3 generation 2 is newer") == true, "\(restored)")
                #expect(F.version(dir + "/c-\(order.rawValue)") == "generation 2")
                #expect(hostC.baseGeneration.current == 2)
            }

            // The stale host: host A restores its exact key under primary-first (generation 1, S3 not asked),
            // changes the tree and saves.
            let stale = try F.host(
                bucket: bucket, dir: dir, storage: dir + "/stale", cache: dir + "/cache", key: "bot-1",
                order: .primaryFirst)
            let restored = try await stale.restore()
            #expect(restored.source == .primary && restored.generation == 1 && restored.s3Generation == nil)
            #expect(stale.baseGeneration.current == 1)
            try Data("a stale edit\n".utf8).write(to: URL(fileURLWithPath: dir + "/stale/stale.txt"))
            let saved = try await stale.save()
            let s3 = try #require(saved.s3)
            #expect(s3.outcome == "conflict" && s3.generation == 2, "\(s3)")
            let conflict = try #require(s3.conflict)
            #expect(conflict.baseGeneration == 1 && conflict.currentGeneration == 2 && conflict.rejectedGeneration == 2)
            #expect(saved.warnings.contains { $0.contains("S3 holds generation 2") }, "\(saved.warnings)")

            // S3 still holds generation 2, objects included; the rejected manifest and its tree are in conflicts/.
            let engine = try F.engine(bucket: bucket, dir: dir)
            let current = try #require(try await engine.readManifest())
            #expect(current.manifest.generation == 2)
            #expect(!current.manifest.files.contains { $0.path == "stale.txt" })
            let pulled = try await engine.with { $0.snapshot = false }.pull(into: dir + "/witness")
            #expect(pulled.source == .objects && F.version(dir + "/witness") == "generation 2")
            let keys = try await F.conflictKeys(bucket: bucket, dir: dir)
            #expect(keys.count == 2, "\(keys)")
            let record = try #require(conflict.recordKey)
            #expect(keys.contains(record) && record.hasSuffix(".json") && record.contains("/conflicts/2-"))
            let bytes = try await engine.client.getObjectBytes(bucket: bucket, key: record).bytes
            let rejected = try Manifest.decode(bytes)
            #expect(rejected.parentGeneration == 1 && rejected.files.contains { $0.path == "stale.txt" })
            #expect(rejected.snapshot?.key == conflict.snapshotKey && conflict.snapshotKey.map(keys.contains) == true)
        }
    }

    @Test func newestKeepsAPrimaryEntryAtTheCurrentGenerationWithOneRequest() async throws {
        try await withSetup("fresh-same") { bucket, dir in
            try F.writeTree(dir + "/a", version: 1)
            let proxy = try S3FaultProxy.start(seed: 1, faultRate: 0)
            defer { proxy.stop() }
            let saver = try F.host(bucket: bucket, dir: dir, storage: dir + "/a", cache: dir + "/cache", key: "k")
            #expect(try await saver.save().s3?.generation == 1)

            let newest = try F.host(
                bucket: bucket, dir: dir, storage: dir + "/n", cache: dir + "/cache", key: "k",
                endpoint: proxy.endpoint)
            try await proxy.resetCounters()
            let restored = try await newest.restore()
            #expect(restored.source == .primary && restored.generation == 1 && restored.s3Generation == 1)
            #expect(restored.sourceReason?.contains("S3 holds 1") == true, "\(restored)")
            #expect(try await proxy.stats().requests == 1, "newest reads the manifest head: one request")

            // primary-first with an exact-key hit does not ask S3 at all.
            let primaryFirst = try F.host(
                bucket: bucket, dir: dir, storage: dir + "/p", cache: dir + "/cache", key: "k", order: .primaryFirst,
                endpoint: proxy.endpoint)
            try await proxy.resetCounters()
            let exact = try await primaryFirst.restore()
            #expect(exact.source == .primary && exact.exactMatch && exact.generation == 1)
            #expect(exact.sourceReason?.contains("S3 not asked") == true)
            #expect(try await proxy.stats().requests == 0, "an exact hit under primary-first makes no S3 request")
        }
    }

    @Test func primaryFirstTrustsAnExactHitAndS3FirstPrefersS3() async throws {
        try await withSetup("fresh-orders") { bucket, dir in
            try await twoGenerations(bucket: bucket, dir: dir)

            let primaryFirst = try F.host(
                bucket: bucket, dir: dir, storage: dir + "/p", cache: dir + "/cache", key: "bot-1",
                order: .primaryFirst)
            let exact = try await primaryFirst.restore()
            #expect(exact.source == .primary && exact.generation == 1, "\(exact)")
            #expect(F.version(dir + "/p") == "generation 1")

            // newest: the same exact hit loses to S3's generation 2, and the stale entry is replaced.
            let newest = try F.host(
                bucket: bucket, dir: dir, storage: dir + "/n", cache: dir + "/cache", key: "bot-1")
            let fromS3 = try await newest.restore()
            #expect(fromS3.source == .s3 && fromS3.generation == 2 && fromS3.primaryWarmed, "\(fromS3)")
            #expect(F.version(dir + "/n") == "generation 2")
            let entry = try await LocalTarballStore(directory: dir + "/cache").lookup(key: "bot-1", restoreKeys: [])
            #expect(GenerationStamp(metadata: entry.metadata)?.generation == 2)

            let s3First = try F.host(
                bucket: bucket, dir: dir, storage: dir + "/s", cache: dir + "/other-cache", key: "bot-1",
                order: .s3First)
            let first = try await s3First.restore()
            #expect(first.source == .s3 && first.sourceReason == "restore-order s3-first", "\(first)")
            #expect(F.version(dir + "/s") == "generation 2")

            // s3-first with S3 unreachable: the primary answers.
            let dead = try F.host(
                bucket: bucket, dir: dir, storage: dir + "/d", cache: dir + "/cache", key: "bot-1",
                order: .s3First, endpoint: "http://127.0.0.1:1")
            let fallback = try await dead.restore()
            #expect(fallback.source == .primary && fallback.sourceReason?.contains("S3 went first") == true)
            #expect(F.version(dir + "/d") == "generation 2")
        }
    }

    @Test func concurrentPushesOnOneBaseCommitOnceAndTheRetryNeverBypassesTheBase() async throws {
        try await withSetup("fresh-race") { bucket, dir in
            let engine = try F.engine(bucket: bucket, dir: dir)
            try F.writeTree(dir + "/base", version: 0)
            #expect(try await engine.push(from: dir + "/base").generation == 1)
            for round in 1...3 {
                let base = round
                try F.writeTree(dir + "/x", version: 10 * round + 1)
                try F.writeTree(dir + "/y", version: 10 * round + 2)
                for index in 0..<40 {
                    try Data(repeating: UInt8(index), count: 4096 * (index + 1))
                        .write(to: URL(fileURLWithPath: dir + "/x/f\(index)"))
                    try Data(repeating: UInt8(index + 1), count: 4096 * (index + 1))
                        .write(to: URL(fileURLWithPath: dir + "/y/f\(index)"))
                }
                let x = engine.with { $0.expectedBaseGeneration = base }
                let y = engine.with { $0.expectedBaseGeneration = base }
                async let pushX = x.push(from: dir + "/x")
                async let pushY = y.push(from: dir + "/y")
                let (rx, ry) = try await (pushX, pushY)
                #expect([rx, ry].filter(\.committed).count == 1, "round \(round): exactly one push commits")
                #expect([rx, ry].filter { $0.conflict != nil }.count == 1, "round \(round): the other conflicts")
                let winner = rx.committed ? "x" : "y"
                let current = try #require(try await engine.readManifest())
                #expect(current.manifest.generation == base + 1)
                _ = try await engine.pull(into: dir + "/check")
                #expect(F.version(dir + "/check") == F.version(dir + "/" + winner))
                #expect(try await engine.readHead()?.generation == base + 1)
            }
            #expect(try await F.conflictKeys(bucket: bucket, dir: dir).filter { $0.hasSuffix(".json") }.count == 3)
        }
    }

    @Test func twoRunHostsOnOnePrefixNeverRollEachOtherBack() async throws {
        try await withSetup("fresh-run") { bucket, dir in
            let engine = try F.engine(bucket: bucket, dir: dir)
            try F.writeTree(dir + "/seed", version: 1)
            #expect(try await engine.push(from: dir + "/seed").generation == 1)
            let hostA = SyncEngineSynchronizer(engine: engine, directory: dir + "/a")
            let hostB = SyncEngineSynchronizer(engine: engine, directory: dir + "/b")
            _ = try await hostA.restore()
            _ = try await hostB.restore()
            #expect(hostA.baseGeneration.current == 1 && hostB.baseGeneration.current == 1)

            try F.writeTree(dir + "/b", version: 2)
            let savedB = try await hostB.save(final: false)
            #expect(savedB.committed && savedB.generation == 2)
            #expect(hostB.baseGeneration.current == 2)

            try F.writeTree(dir + "/a", version: 3)
            let savedA = try await hostA.save(final: true)
            #expect(!savedA.committed && savedA.generation == 2, "the older host does not replace generation 2")
            #expect(savedA.warnings.contains { $0.contains("S3 holds generation 2") }, "\(savedA.warnings)")
            #expect(hostA.baseGeneration.current == 1, "a refused push keeps the old base")
            #expect(try await engine.readManifest()?.manifest.generation == 2)

            // Host B keeps pushing on its own base.
            try Data("more\n".utf8).write(to: URL(fileURLWithPath: dir + "/b/more.txt"))
            #expect(try await hostB.save(final: true).generation == 3)
        }
    }

    @Test func aRunHostPastItsBaseSkipsPeriodicPushesAndKeepsOnlyItsFinalTree() async throws {
        try await withSetup("fresh-skip") { bucket, dir in
            let engine = try F.engine(bucket: bucket, dir: dir)
            try F.writeTree(dir + "/seed", version: 1)
            _ = try await engine.push(from: dir + "/seed")
            let stale = SyncEngineSynchronizer(engine: engine, directory: dir + "/a")
            _ = try await stale.restore()
            try F.writeTree(dir + "/b", version: 2)
            #expect(try await engine.push(from: dir + "/b").generation == 2)

            // The first periodic push is refused (one record), the next ones are skipped without a request.
            try F.writeTree(dir + "/a", version: 3)
            let refused = try await stale.save(final: false)
            #expect(!refused.committed && refused.skipped == nil && refused.generation == 2)
            #expect(try await F.conflictKeys(bucket: bucket, dir: dir).filter { $0.hasSuffix(".json") }.count == 1)
            for round in 0..<3 {
                try Data("edit \(round)\n".utf8).write(to: URL(fileURLWithPath: dir + "/a/edit.txt"))
                let skipped = try await stale.save(final: false)
                #expect(skipped.skipped?.contains("S3 holds generation 2") == true, "\(skipped)")
                #expect(!skipped.committed)
            }
            #expect(try await F.conflictKeys(bucket: bucket, dir: dir).filter { $0.hasSuffix(".json") }.count == 1)

            // The final save pushes once more: a second record, with the last edit; S3 still holds generation 2.
            let last = try await stale.save(final: true)
            #expect(!last.committed && last.skipped == nil)
            #expect(try await F.conflictKeys(bucket: bucket, dir: dir).filter { $0.hasSuffix(".json") }.count == 2)
            #expect(try await engine.readManifest()?.manifest.generation == 2)
        }
    }

    @Test func theManifestHeadComesFromMetadataOrFromAnOlderManifestItself() async throws {
        try await withSetup("fresh-head") { bucket, dir in
            let engine = try F.engine(bucket: bucket, dir: dir)
            #expect(try await engine.readHead() == nil, "nothing stored")
            try F.writeTree(dir + "/a", version: 1)
            let pushed = try await engine.push(from: dir + "/a")
            let head = try await engine.client.headObject(bucket: bucket, key: engine.location.manifestKey)
            #expect(head.metadata["generation"] == "1" && head.metadata["created-at"] != nil, "\(head.metadata)")
            #expect(try await engine.readHead()?.generation == pushed.generation)

            // A manifest committed by an older storage-cache, without the metadata: read whole.
            let current = try #require(try await engine.readManifest())
            _ = try await engine.client.putObject(
                bucket: bucket, key: engine.location.manifestKey, body: .bytes(current.bytes))
            let bare = try await engine.client.headObject(bucket: bucket, key: engine.location.manifestKey)
            #expect(bare.metadata["generation"] == nil)
            let fallback = try #require(try await engine.readHead())
            #expect(fallback.generation == 1 && fallback.createdAt == current.manifest.createdAt)
        }
    }
}
