import Foundation
import Logging
import S3
import Testing

@testable import StorageCache

/// The lost-race path of a conditional push, made deterministic: the refused push's uploads replaced objects of
/// the winning generation; the repair puts the winner's bytes back from its snapshot and removes extra objects.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct FreshnessRepairTests {
    typealias F = Freshness

    @Test func aRefusedPushPutsBackTheObjectsItReplaced() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("fresh-repair", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let engine = try F.engine(bucket: bucket, dir: dir)
                try F.writeTree(dir + "/one", version: 1)
                #expect(try await engine.push(from: dir + "/one").generation == 1)
                try F.writeTree(dir + "/two", version: 2)
                #expect(try await engine.push(from: dir + "/two").generation == 2)

                // The loser (built on generation 1, version 3) uploaded its files after the winner's commit.
                try F.writeTree(dir + "/three", version: 3)
                var cache = FileHashCache()
                let loser = try TreeScanner().scan(root: dir + "/three", cache: &cache).entries.filter {
                    $0.kind == .file
                }
                _ = try await engine.upload(loser, from: dir + "/three")
                let perFile = engine.with { $0.snapshot = false }
                await #expect(throws: SyncError.self, "the winner's per-file copy is damaged before the repair") {
                    _ = try await perFile.pull(into: dir + "/damaged")
                }

                var warnings: [String] = []
                let winner = try await engine.readManifest()
                await engine.repairAfterLostRace(uploaded: loser, winner: winner, warnings: &warnings)
                #expect(warnings.contains { $0.contains("put back 2 objects of generation 2") }, "\(warnings)")
                let keys = try await SyncCLITests.keys(client, bucket)
                #expect(!keys.contains { $0.hasSuffix("/storage/notes/only-3.txt") }, "the extra object is removed")
                let pulled = try await perFile.pull(into: dir + "/repaired")
                #expect(pulled.source == .objects && pulled.generation == 2)
                #expect(try SyncCLITests.contents(dir + "/repaired") == SyncCLITests.contents(dir + "/two"))
            }
        }
    }
}
