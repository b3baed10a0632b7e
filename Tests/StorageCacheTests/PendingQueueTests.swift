import Foundation
import StorageCache
import Testing

@Suite struct PendingQueueTests {
    static func withQueue(_ body: (PendingQueue) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "pending-\(UUID().uuidString)/state"
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        try body(PendingQueue(directory: directory))
    }

    static func entry(
        path: String = "/data/storage", endpoint: String? = "http://127.0.0.1:1", error: String = "down",
        failedAt: Date = Date()
    ) -> PendingEntry {
        PendingEntry(
            localPath: path, bucket: "my-bucket", prefix: "opencode-storage", agentIdentity: "github",
            repo: "owner/repo", endpoint: endpoint, region: "us-east-1", pathStyle: true, failedAt: failedAt,
            lastError: error)
    }

    @Test func aMissingFileIsAnEmptyQueue() throws {
        try Self.withQueue { (queue: PendingQueue) throws in
            #expect(try queue.entries().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: queue.path))
        }
    }

    @Test func theSameWorkReplacesItsEarlierEntryAndCountsAttempts() throws {
        try Self.withQueue { (queue: PendingQueue) throws in
            let firstTime = Date(timeIntervalSince1970: 1_700_000_000)
            try queue.record(Self.entry(error: "first", failedAt: firstTime))
            try queue.record(Self.entry(path: "/other"))
            let second = try queue.record(Self.entry(error: "second"))
            let entries = try queue.entries()
            #expect(entries.count == 2)
            let replaced = try #require(entries.first { $0.localPath == "/data/storage" })
            #expect(replaced.id == second.id)
            #expect(replaced.lastError == "second")
            #expect(replaced.attempts == 2)
            #expect(replaced.firstFailedAt == firstTime)
            #expect(replaced.lastFailedAt > firstTime)
            // A different endpoint is different work.
            try queue.record(Self.entry(endpoint: nil))
            #expect(try queue.entries().count == 3)
        }
    }

    @Test func removeAndNoteFailureChangeOnlyTheirEntry() throws {
        try Self.withQueue { (queue: PendingQueue) throws in
            let a = try queue.record(Self.entry(path: "/a"))
            let b = try queue.record(Self.entry(path: "/b"))
            try queue.noteFailure(id: a.id, error: "again")
            try queue.remove(id: b.id)
            let entries = try queue.entries()
            #expect(entries.map(\.localPath) == ["/a"])
            #expect(entries[0].attempts == 2)
            #expect(entries[0].lastError == "again")
        }
    }

    @Test func theFileIsJSONWithoutCredentialsAndLeavesNoTemporaryFiles() throws {
        try Self.withQueue { (queue: PendingQueue) throws in
            try queue.record(Self.entry())
            let text = try String(contentsOfFile: queue.path, encoding: .utf8)
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            let entries = try #require(object?["entries"] as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(entries[0]["bucket"] as? String == "my-bucket")
            #expect(!text.lowercased().contains("secret"))
            #expect(!text.lowercased().contains("accesskey"))
            let names = try FileManager.default.contentsOfDirectory(atPath: queue.directory)
            #expect(names.allSatisfy { $0 == PendingQueue.fileName || $0 == PendingQueue.fileName + ".lock" })
        }
    }

    @Test func concurrentRecordsLoseNothing() async throws {
        let directory = NSTemporaryDirectory() + "pending-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queue = PendingQueue(directory: directory)
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask { _ = try? queue.record(Self.entry(path: "/tree/\(index)")) }
            }
        }
        #expect(try queue.entries().count == 40)
    }

    @Test func anEntryRebuildsTheSettingsOfItsPush() throws {
        var flags = SyncSettingsFlags()
        flags.bucket = "my-bucket"
        flags.repo = "org/nested/repo"
        flags.endpoint = "http://127.0.0.1:4566"
        flags.sse = "AES256"
        flags.excludes = ["*.log"]
        flags.maxSyncSize = "1M"
        flags.snapshot = false
        let settings = try SyncSettings.resolve(flags: flags, environment: ["HOME": "/h"])
        let entry = PendingEntry(failedPush: settings, localPath: "/data", error: "x")
        let rebuilt = try entry.settings(stateDirectory: "/h/.local/state/storage-cache")
        #expect(rebuilt.location == settings.location)
        #expect(rebuilt.endpoint == settings.endpoint)
        #expect(rebuilt.pathStyle == settings.pathStyle)
        #expect(rebuilt.serverSideEncryption == .s3)
        #expect(rebuilt.excludes == ["*.log"])
        #expect(rebuilt.maxSyncSize == 1 << 20)
        #expect(!rebuilt.snapshot)
        #expect(rebuilt.storagePath == "/data")
    }

    @Test func aDamagedFileIsReportedNotOverwritten() throws {
        try Self.withQueue { (queue: PendingQueue) throws in
            try FileManager.default.createDirectory(atPath: queue.directory, withIntermediateDirectories: true)
            try Data("{not json".utf8).write(to: URL(fileURLWithPath: queue.path))
            #expect(throws: SyncError.self) { try queue.record(Self.entry()) }
            #expect(try String(contentsOfFile: queue.path, encoding: .utf8) == "{not json")
        }
    }
}
