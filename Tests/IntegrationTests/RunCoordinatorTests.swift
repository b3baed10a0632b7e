import Foundation
import Logging
import S3
import StorageCache
import Testing

/// `RunSupervisor` over a `CacheCoordinator` (local primary + S3), as a Swift host embeds it.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct RunCoordinatorTests {
    static let logger = Logger(label: "run-coordinator-tests")

    func supervisor(_ coordinator: CacheCoordinator, _ script: String) -> RunSupervisor {
        var options = RunOptions(command: ["sh", "-c", script])
        options.syncInterval = 0
        // Not a test of the shutdown timeout: a loaded machine must not turn the final save into an abandoned one.
        options.shutdownTimeout = 600
        return RunSupervisor(
            synchronizer: CoordinatorSynchronizer(coordinator: coordinator), options: options, logger: Self.logger)
    }

    /// What the primary entry `bot-key` of `cache` holds (restored into a fresh directory).
    func primaryFiles(cache: String, scratch: String) async throws -> [String: String] {
        let fresh = scratch + "/primary-\(UUID().uuidString)"
        let settings = CacheSettings(storagePath: fresh, key: "bot-key", primary: .local, cacheDirectory: cache)
        let restored = try await CacheCoordinator(
            settings: settings, primary: LocalTarballStore(directory: cache), s3: nil, logger: Self.logger
        ).restore()
        #expect(restored.source == .primary)
        return RunFixture.files(fresh)
    }

    @Test func finalSavesReplaceThePrimaryEntryAndAStalePrimaryLosesToS3() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("run-coord", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let cache = dir + "/cache"
                let storage = dir + "/storage"
                let coordinator = try CoordinatorLibraryTests().coordinator(bucket: bucket, dir: dir, cache: cache)

                let first = try await supervisor(coordinator, "echo one > '\(storage)/a.txt'").run()
                #expect(first == 0)
                #expect(try await primaryFiles(cache: cache, scratch: dir) == ["a.txt": "one\n"])

                let second = try await supervisor(coordinator, "echo two > '\(storage)/a.txt'").run()
                #expect(second == 0)
                #expect(
                    try await primaryFiles(cache: cache, scratch: dir) == ["a.txt": "two\n"],
                    "the final save replaces the host's one key")

                // Periodic syncs of a host that was then killed: S3 is newer than the primary entry.
                let other = dir + "/other"
                try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
                try Data("two\n".utf8).write(to: URL(fileURLWithPath: other + "/a.txt"))
                try Data("newer\n".utf8).write(to: URL(fileURLWithPath: other + "/newer.txt"))
                let sync = try #require(coordinator.s3)
                _ = try await sync.makeEngine().push(from: other)

                let third = try await supervisor(coordinator, "test \"$(cat '\(storage)/newer.txt')\" = newer").run()
                #expect(third == 0, "the restore came from S3, not the stale primary entry")
            }
        }
    }
}
