import Foundation
import Hashing
import Logging
import S3
import StorageCache
import Testing

/// Push and pull through LocalStack: the restored tree equals the pushed one, and objects sit at RFC-019 keys.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct SyncEngineRoundTripTests {
    static func engine(_ client: S3Client, bucket: String, repo: String = "owner/repo", snapshot: Bool = true)
        throws -> SyncEngine
    {
        var options = SyncOptions()
        options.snapshot = snapshot
        return SyncEngine(
            client: client, location: try SyncLocation(bucket: bucket, agentIdentity: .github, repo: repo),
            options: options, logger: S3TestEnvironment.logger)
    }

    /// path → (kind, sha256 or link target, mode) of every entry under `root`.
    static func describe(_ root: String) throws -> [String: String] {
        var cache = FileHashCache()
        let tree = try TreeScanner().scan(root: root, cache: &cache)
        return Dictionary(
            uniqueKeysWithValues: tree.entries.map {
                ($0.path, "\($0.kind) \($0.sha256 ?? $0.target ?? "") \(String($0.mode, radix: 8))")
            })
    }

    static func makeTree(_ root: String, files: Int) throws {
        let fm = FileManager.default
        for i in 0..<files {
            let dir = root + "/sessions/ses_\(i % 7)"
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data("message \(i) \(String(repeating: "x", count: i * 13))".utf8).write(
                to: URL(fileURLWithPath: dir + "/msg_\(i).json"))
        }
        try fm.createDirectory(atPath: root + "/empty/dir", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: root + "/latest", withDestinationPath: "sessions/ses_1")
        try S3TestEnvironment.writeRandomFile(root + "/big.bin", size: 12 << 20)
    }

    @Test(arguments: [true, false])
    func pushThenPullIntoAnEmptyDirectoryGivesTheSameTree(snapshot: Bool) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("sync", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                try Self.makeTree(source, files: 60)
                let engine = try Self.engine(client, bucket: bucket, snapshot: snapshot)
                let first = try await engine.push(from: source)
                #expect(first.committed)
                #expect(first.generation == 1)
                // big.bin (12 MiB) is chunked into a pack: it has no object under storage/.
                #expect(first.uploadedFiles == 60)

                let keys = try await client.listObjects(bucket: bucket).objects.map(\.key)
                #expect(keys.contains("opencode-storage/github/owner-repo/storage/sessions/ses_0/msg_0.json"))
                #expect(keys.contains("opencode-storage/github/owner-repo/manifest.json"))

                let restored = dir + "/restored"
                let pulled = try await engine.pull(into: restored)
                #expect(pulled.source == (snapshot ? .snapshot : .objects))
                #expect(try Self.describe(restored) == Self.describe(source))

                // Change some, delete some, add some; push again; pull over the old copy.
                try Data("changed".utf8).write(to: URL(fileURLWithPath: source + "/sessions/ses_0/msg_0.json"))
                try FileManager.default.removeItem(atPath: source + "/sessions/ses_1/msg_1.json")
                try Data("new".utf8).write(to: URL(fileURLWithPath: source + "/new.json"))
                let second = try await engine.push(from: source)
                #expect(second.generation == 2)
                #expect(second.uploadedFiles == 2)
                #expect(second.deletedObjects >= 1)
                let after = try await client.listObjects(bucket: bucket).objects.map(\.key)
                #expect(!after.contains("opencode-storage/github/owner-repo/storage/sessions/ses_1/msg_1.json"))

                let again = try await engine.pull(into: restored)
                #expect(again.generation == 2)
                #expect(try Self.describe(restored) == Self.describe(source))

                let idle = try await engine.push(from: source)
                #expect(!idle.committed)
                #expect(idle.uploadedFiles == 0)
            }
        }
    }
}
