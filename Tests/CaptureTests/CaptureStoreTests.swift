import Capture
import Foundation
import StorageCache
import Tarball
import Testing

/// LocalTarballStore with database capture: what reaches the cache, and what a restore gives back.
@Suite("LocalTarballStore with captured databases")
struct CaptureStoreTests {
    static func save(_ source: String, cache: String, includeCredentials: Bool = false) async throws -> SaveResult {
        let store = LocalTarballStore(directory: cache, syncRestoredTree: false)
        var options = SaveOptions(
            tarball: TarballOptions(excludes: OpenCodeDefaults.excludes(includeCredentials: includeCredentials)))
        options.overwrite = true
        return try await store.save(directory: source, key: "opencode", options: options)
    }

    static func restore(_ destination: String, cache: String) async throws -> RestoreResult {
        let store = LocalTarballStore(directory: cache, syncRestoredTree: false)
        return try await store.restore(key: "opencode", restoreKeys: [], into: destination, progress: nil)
    }

    @Test func defaultsKeepCredentialsLogsAndCompanionsOutOfTheCache() async throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("opencode")
        let holder = try OpenCodeFixture.make(source)
        defer { holder.stop() }
        #expect(FileManager.default.fileExists(atPath: source + "/opencode.db-wal"))

        let saved = try await Self.save(source, cache: scratch.sub("cache"))
        #expect(saved.outcome == .saved)
        let restored = scratch.sub("restored")
        #expect(try await Self.restore(restored, cache: scratch.sub("cache")).outcome == .hit)

        let listing = treeListing(restored)
        #expect(
            listing == [
                "opencode.db", "storage", "storage/session", "storage/session/info",
                "storage/session/info/ses_1.json",
            ])
        #expect(SQLiteProbe.integrity(restored + "/opencode.db") == ["ok"])
        #expect(SQLiteProbe.rows(restored + "/opencode.db").count == OpenCodeFixture.rows)
        // The source is untouched: its credentials and live database are still there.
        #expect(FileManager.default.fileExists(atPath: source + "/auth.json"))
        #expect(!treeListing(scratch.path).contains { $0.contains(".sc-capture-") })
    }

    @Test func includeCredentialsSavesThemOnPurpose() async throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("opencode")
        let holder = try OpenCodeFixture.make(source)
        defer { holder.stop() }
        _ = try await Self.save(source, cache: scratch.sub("cache"), includeCredentials: true)
        let restored = scratch.sub("restored")
        _ = try await Self.restore(restored, cache: scratch.sub("cache"))
        let listing = treeListing(restored)
        #expect(listing.contains("auth.json"))
        #expect(listing.contains("mcp-auth.json"))
        #expect(!listing.contains("log"))
        #expect(!listing.contains { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") })
    }

    @Test func restoreOverStaleCompanionsGivesTheSavedState() async throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("opencode")
        let holder = try OpenCodeFixture.make(source)
        _ = try await Self.save(source, cache: scratch.sub("cache"))
        holder.stop()

        // The agent went on (rows 26…40) and died: its -wal and -shm hold a later state than the saved one.
        try OpenCodeFixture.leaveStaleCompanions(source)
        #expect(FileManager.default.fileExists(atPath: source + "/opencode.db-wal"))
        #expect(FileManager.default.fileExists(atPath: source + "/opencode.db-shm"))

        #expect(try await Self.restore(source, cache: scratch.sub("cache")).outcome == .hit)
        let listing = treeListing(source)
        #expect(!listing.contains { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") || $0.hasSuffix("-journal") })
        #expect(SQLiteProbe.integrity(source + "/opencode.db") == ["ok"])
        let rows = SQLiteProbe.rows(source + "/opencode.db")
        #expect(rows.count == OpenCodeFixture.rows && rows.max == OpenCodeFixture.rows)
    }

    @Test func captureCanBeTurnedOff() async throws {
        let scratch = try ScratchDirectory()
        let source = scratch.sub("opencode")
        let holder = try OpenCodeFixture.make(source)
        defer { holder.stop() }
        let store = LocalTarballStore(directory: scratch.sub("cache"), syncRestoredTree: false)
        var options = SaveOptions()
        options.captureDatabases = false
        _ = try await store.save(directory: source, key: "raw", options: options)
        let restored = scratch.sub("restored")
        _ = try await store.restore(key: "raw", restoreKeys: [], into: restored, progress: nil)
        // Without capture the tree is archived as it is, companions and all.
        #expect(treeListing(restored).contains("opencode.db-wal"))
    }
}
