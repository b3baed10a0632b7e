import Foundation
import Logging
import S3
import StorageCache
import Testing

/// The coordinator as a Swift host (the bot's `run -- CMD`) uses it: settings built in code, an injected client.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct CoordinatorLibraryTests {
    func coordinator(bucket: String, dir: String, cache: String, primary: PrimaryKind = .local) throws
        -> CacheCoordinator
    {
        var flags = SyncSettingsFlags()
        flags.bucket = bucket
        flags.endpoint = S3TestEnvironment.endpointURL
        flags.repo = "owner/bot"
        flags.agentIdentity = "discord"
        flags.stateDirectory = dir + "/state"
        let sync = try SyncSettings.resolve(flags: flags, environment: ["HOME": dir])
        let client = try S3TestEnvironment.makeClient()
        let s3 = S3Backup(settings: sync) {
            SyncEngine(client: client, location: sync.location, options: sync.syncOptions(), logger: Logger(label: "t"))
        }
        let settings = CacheSettings(
            storagePath: dir + "/storage", key: "bot-key", primary: primary, cacheDirectory: cache, s3: sync,
            agentIdentity: .discord, repo: "owner/bot")
        let store: (any TarballStore)? = primary == .none ? nil : LocalTarballStore(directory: cache)
        return CacheCoordinator(settings: settings, primary: store, s3: s3, logger: Logger(label: "t"))
    }

    @Test func saveThenRestoreOnAnotherHostComesFromS3ThenFromTheWarmedPrimary() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("co-lib", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try SyncCLITests.makeTree(dir + "/storage")
                let first = try coordinator(bucket: bucket, dir: dir, cache: dir + "/cache1")
                let saved = try await first.save()
                #expect(saved.primary?.outcome == .saved)
                #expect(saved.s3?.outcome == "pushed")
                #expect(saved.warnings.isEmpty)
                let original = try SyncCLITests.contents(dir + "/storage")
                try FileManager.default.removeItem(atPath: dir + "/storage")

                let second = try coordinator(bucket: bucket, dir: dir, cache: dir + "/cache2")
                let fromS3 = try await second.restore()
                #expect(fromS3.source == .s3)
                #expect(fromS3.primaryWarmed)
                #expect(try SyncCLITests.contents(dir + "/storage") == original)
                let fromPrimary = try await second.restore()
                #expect(fromPrimary.source == .primary)
                #expect(fromPrimary.cacheHit)
                #expect(
                    try await client.listObjects(bucket: bucket).objects.contains {
                        $0.key == "opencode-storage/discord/owner-bot/manifest.json"
                    })
            }
        }
    }

    @Test func primaryNoneUsesS3Only() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("co-lib-none", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try SyncCLITests.makeTree(dir + "/storage")
                let coordinator = try coordinator(bucket: bucket, dir: dir, cache: dir + "/cache", primary: .none)
                let saved = try await coordinator.save()
                #expect(saved.primary == nil && saved.s3?.outcome == "pushed")
                let restored = try await coordinator.restore()
                #expect(restored.source == .s3 && !restored.primaryWarmed)
                #expect(!FileManager.default.fileExists(atPath: dir + "/cache"))
            }
        }
    }
}
