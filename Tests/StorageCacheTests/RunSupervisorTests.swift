import Foundation
import Logging
import Synchronization
import Testing

@testable import StorageCache

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct TreeFingerprintTests {
    @Test func changesWithEveryWriteCreateRemoveRenameAndChmodButNotWithReads() throws {
        let scratch = try TemporaryDirectory()
        let root = scratch.sub("tree")
        try TreeFixture.write(root, ["a.txt": "a", "dir/b.txt": "b"])
        var last = TreeFingerprint.of(root)
        #expect(last.entries == 4)
        _ = FileManager.default.contents(atPath: root + "/a.txt")
        #expect(TreeFingerprint.of(root) == last, "a read changes nothing")

        func expectChange(_ what: String, _ change: () throws -> Void) throws {
            try change()
            let now = TreeFingerprint.of(root)
            #expect(now != last, "\(what) must change the fingerprint")
            last = now
        }
        try expectChange("a write of the same size") {
            try Data("A".utf8).write(to: URL(fileURLWithPath: root + "/a.txt"))
        }
        try expectChange("a new file") { try Data("c".utf8).write(to: URL(fileURLWithPath: root + "/dir/c.txt")) }
        try expectChange("a removal") { try FileManager.default.removeItem(atPath: root + "/dir/c.txt") }
        try expectChange("a rename") {
            try FileManager.default.moveItem(atPath: root + "/a.txt", toPath: root + "/z.txt")
        }
        try expectChange("a chmod") { chmod(root + "/z.txt", 0o600) }
    }
}

@Suite struct StorageDirectoryLockTests {
    @Test func theLockFileLivesBesideTheDirectory() {
        #expect(StorageDirectoryLock.lockPath(for: "/a/b/store") == "/a/b/.store.storage-cache.lock")
        #expect(StorageDirectoryLock.lockPath(for: "/a/b/store/") == "/a/b/.store.storage-cache.lock")
        #expect(StorageDirectoryLock.lockPath(for: "/store") == "/.store.storage-cache.lock")
        #expect(StorageDirectoryLock.lockPath(for: "store") == "./.store.storage-cache.lock")
    }

    @Test func aSecondHolderIsRefusedWithThePidUntilTheFirstLetsGo() throws {
        let scratch = try TemporaryDirectory()
        let directory = scratch.sub("store")
        var first: StorageDirectoryLock? = try StorageDirectoryLock.acquire(for: directory)
        #expect(first != nil)
        do {
            _ = try StorageDirectoryLock.acquire(for: directory)
            Issue.record("a second lock must be refused")
        } catch {
            #expect(error.code == .locked)
            #expect(error.message.contains("pid \(getpid())"))
            #expect(error.exitStatus == 75)
        }
        first = nil
        _ = try StorageDirectoryLock.acquire(for: directory)
    }
}

/// A synchronizer that records calls and can fail or stall.
final class FakeSynchronizer: StateSynchronizer {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "the store is down" }
    }

    let failRestore: Bool
    let saveDelay: Duration
    let saves = Mutex<[Bool]>([])

    init(failRestore: Bool = false, saveDelay: Duration = .zero) {
        self.failRestore = failRestore
        self.saveDelay = saveDelay
    }

    func restore() async throws -> RunRestoreReport {
        if failRestore { throw Failure() }
        return RunRestoreReport(source: "fake", files: 0)
    }

    func save(final: Bool) async throws -> RunSaveReport {
        saves.withLock { $0.append(final) }
        try await Task.sleep(for: saveDelay)
        return RunSaveReport(generation: 1, files: 0, committed: true)
    }

    func hasChanges() async -> Bool { true }
}

@Suite(.serialized) struct RunSupervisorTests {
    static let logger = Logger(label: "run-supervisor-tests")

    @Test func aFailedRestoreStartsNothing() async throws {
        let scratch = try TemporaryDirectory()
        let marker = scratch.sub("started")
        let supervisor = RunSupervisor(
            synchronizer: FakeSynchronizer(failRestore: true), options: RunOptions(command: ["touch", marker]),
            logger: Self.logger)
        await #expect(throws: RunError.self) { _ = try await supervisor.run() }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func theFinalSaveRunsOnceAndTheChildsStatusIsReturned() async throws {
        let fake = FakeSynchronizer()
        var options = RunOptions(command: ["sh", "-c", "exit 5"])
        options.syncInterval = 0
        let status = try await RunSupervisor(synchronizer: fake, options: options, logger: Self.logger).run()
        #expect(status == 5)
        #expect(fake.saves.withLock { $0 } == [true])
    }

    @Test func aStalledFinalSaveIsAbandonedAtTheShutdownTimeout() async throws {
        let fake = FakeSynchronizer(saveDelay: .seconds(30))
        var options = RunOptions(command: ["true"])
        options.syncInterval = 0
        options.shutdownTimeout = 0.5
        options.killAfter = 0.1
        let started = ContinuousClock.now
        let status = try await RunSupervisor(synchronizer: fake, options: options, logger: Self.logger).run()
        #expect(status == 0)
        // The save would take 30 s: ending well before that (even on a loaded machine) means it was abandoned.
        #expect(ContinuousClock.now - started < .seconds(25), "the supervisor does not wait for the stalled save")
    }
}
