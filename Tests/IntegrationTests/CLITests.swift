import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("storage-cache CLI: exit codes, --json, round trips")
struct CLITests {
    let scratch: LocalScratch
    let source: String
    let cache: String

    init() throws {
        scratch = try LocalScratch()
        source = scratch.sub("src")
        cache = scratch.sub("cache")
        try LocalTree.generate(source, seed: 1, files: 60, blobBytes: 64 << 10)
    }

    func run(_ arguments: [String]) throws -> CLIBinary.Run {
        try CLIBinary.run(arguments, home: scratch.path)
    }

    @Test func badFlagsAndValuesExit2WithAMessageNamingTheFlag() throws {
        let cases: [(arguments: [String], flag: String)] = [
            (["save", "--path", source, "--key", "k", "--level", "40"], "--level"),
            (["save", "--path", source, "--key", "k", "--compression", "gzip", "--level", "12"], "--level"),
            (["save", "--path", source, "--key", "k", "--compression", "brotli"], "--compression"),
            (["save", "--path", source, "--key", "k", "--max-size", "lots"], "--max-size"),
            (["cache", "prune", "--cache-dir", cache, "--max-size", "10XB"], "--max-size"),
            (["cache", "prune", "--cache-dir", cache, "--max-age", "soon"], "--max-age"),
            (["save", "--path", source, "--key", ""], "--key"),
            (["save", "--path", source], "--key"),
            (["restore", "--path", scratch.sub("dst"), "--key", "k", "--bogus"], "--bogus"),
            (["save", "--path", scratch.sub("missing"), "--key", "k", "--cache-dir", cache], "--path"),
            (["archive", "extract", "--archive", source + "/label.txt", "--path", "x", "--sha256", "xyz"], "--sha256"),
        ]
        for (arguments, flag) in cases {
            let result = try run(arguments)
            #expect(result.status == 2, "\(arguments) exited \(result.status): \(result.stderr)")
            #expect(result.stderr.contains(flag), "\(arguments): stderr does not name \(flag): \(result.stderr)")
        }
    }

    @Test func missWithFailOnCacheMissExits3AndLeavesTheDestination() throws {
        let destination = scratch.sub("dst")
        try LocalTree.generate(destination, seed: 9, files: 3, blobBytes: 8)
        let before = LocalTree.fingerprint(destination)
        let base = ["restore", "--path", destination, "--key", "nothing", "--cache-dir", cache]

        let plain = try run(base + ["--restore-keys", "no-\nnone-"])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("miss"))

        let failing = try run(base + ["--fail-on-cache-miss", "--json"])
        #expect(failing.status == 3)
        let json = try failing.json()
        #expect(json["outcome"] as? String == "miss")
        #expect(LocalTree.fingerprint(destination) == before)

        let lookup = try run(base + ["--lookup-only", "--fail-on-cache-miss"])
        #expect(lookup.status == 3)
    }

    @Test func saveRestoreListPruneRoundTripWithJSON() throws {
        let saved = try run(["save", "--path", source, "--key", "v1-linux", "--cache-dir", cache, "--json"])
        #expect(saved.status == 0, "\(saved.stderr)")
        let savedJSON = try saved.json()
        #expect(savedJSON["outcome"] as? String == "saved")
        #expect(savedJSON["files"] as? Int == 62)
        #expect((savedJSON["bytes"] as? Int ?? 0) > 0)
        #expect(savedJSON["duration"] is Double)

        let again = try run(["save", "--path", source, "--key", "v1-linux", "--cache-dir", cache])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("exists"))
        #expect(again.stderr.contains("already exists"))

        let destination = scratch.sub("restored/state")
        let restored = try run([
            "restore", "--path", destination, "--key", "v2-linux", "--restore-keys", "v2-\nv1-", "--cache-dir", cache,
            "--json",
        ])
        #expect(restored.status == 0, "\(restored.stderr)")
        let restoredJSON = try restored.json()
        #expect(restoredJSON["outcome"] as? String == "hit")
        #expect(restoredJSON["matchedKey"] as? String == "v1-linux")
        #expect(restoredJSON["exactMatch"] as? Bool == false)
        #expect(LocalTree.fingerprint(destination) == LocalTree.fingerprint(source))

        let lookup = try run([
            "restore", "--path", destination, "--key", "v1-linux", "--lookup-only", "--cache-dir", cache,
        ])
        #expect(lookup.status == 0)
        #expect(lookup.stdout.hasPrefix("hit"))

        let list = try run(["cache", "list", "--cache-dir", cache, "--json"])
        let listJSON = try list.json()
        #expect(listJSON["count"] as? Int == 1)
        let entries = try #require(listJSON["entries"] as? [[String: Any]])
        #expect(entries.first?["key"] as? String == "v1-linux")
        #expect((entries.first?["sha256"] as? String)?.count == 64)

        let pruned = try run(["cache", "prune", "--cache-dir", cache, "--max-size", "1KiB", "--json"])
        #expect(pruned.status == 0)
        let prunedJSON = try pruned.json()
        #expect((prunedJSON["removed"] as? [[String: Any]])?.first?["key"] as? String == "v1-linux")
        #expect(prunedJSON["kept"] as? Int == 0)
    }

    @Test func defaultCacheDirectoryIsUnderXDGCacheHome() throws {
        let saved = try run(["save", "--path", source, "--key", "default-dir"])
        #expect(saved.status == 0, "\(saved.stderr)")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/xdg-cache/storage-cache/index.json"))
    }

    @Test func damagedEntryRestoreExits5AndRemovesTheEntry() throws {
        #expect(try run(["save", "--path", source, "--key", "k", "--cache-dir", cache]).status == 0)
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache + "/entries")
        let archive = cache + "/entries/" + (try #require(entries.first))
        var data = try Data(contentsOf: URL(fileURLWithPath: archive))
        data[data.count / 2] ^= 0x55
        try data.write(to: URL(fileURLWithPath: archive))
        let destination = scratch.sub("dst")

        let verified = try run(["cache", "verify", "--cache-dir", cache, "--json"])
        #expect(verified.status == 5)
        let damaged = try #require(try verified.json()["damaged"] as? [[String: Any]])
        #expect(damaged.first?["key"] as? String == "k")

        let restored = try run(["restore", "--path", destination, "--key", "k", "--cache-dir", cache, "--json"])
        #expect(restored.status == 5)
        #expect(try restored.json()["outcome"] as? String == "corrupted")
        #expect(!FileManager.default.fileExists(atPath: destination))
        let list = try run(["cache", "list", "--cache-dir", cache, "--json"])
        #expect(try list.json()["count"] as? Int == 0)
        #expect(try run(["cache", "verify", "--cache-dir", cache]).status == 0)
    }

    @Test(
        .enabled(
            if: getuid() != 0 || FileManager.default.isExecutableFile(atPath: CLIBinary.runuser),
            "root ignores permissions; needs runuser to drop to nobody"))
    func anUnwritableCacheDirectoryExits4() throws {
        let readOnly = scratch.sub("read-only-cache")
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
        chmod(readOnly, 0o555)
        chmod(scratch.path, 0o755)
        let user = getuid() == 0 ? "nobody" : nil
        let result = try CLIBinary.run(
            ["save", "--path", source, "--key", "k", "--cache-dir", readOnly], home: scratch.path, user: user)
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("Permission denied"))
    }

    @Test func archiveCreateListExtractForDebugging() throws {
        let archive = scratch.sub("state.tar.zst")
        let created = try run([
            "archive", "create", "--path", source, "--output", archive, "--exclude", "*.bin", "--json",
        ])
        #expect(created.status == 0, "\(created.stderr)")
        let createdJSON = try created.json()
        #expect(createdJSON["files"] as? Int == 61)
        let sha = try #require(createdJSON["sha256"] as? String)

        let listed = try run(["archive", "list", "--archive", archive, "--json"])
        let names = try #require(try listed.json()["entries"] as? [String])
        #expect(names.contains { $0.hasSuffix("label.txt") })
        #expect(!names.contains { $0.hasSuffix("blob.bin") })

        let destination = scratch.sub("out")
        let extracted = try run(["archive", "extract", "--archive", archive, "--path", destination, "--sha256", sha])
        #expect(extracted.status == 0, "\(extracted.stderr)")
        var expected = LocalTree.fingerprint(source)
        expected?.removeValue(forKey: "snapshot/blob.bin")
        #expect(LocalTree.fingerprint(destination) == expected)

        let wrong = String(repeating: "0", count: 64)
        let mismatch = try run(["archive", "extract", "--archive", archive, "--path", destination, "--sha256", wrong])
        #expect(mismatch.status == 5)
        #expect(LocalTree.fingerprint(destination) == expected)

        // With the flush before the swap (--fsync): the same tree, over the existing one.
        let synced = try run(["archive", "extract", "--fsync", "--archive", archive, "--path", destination])
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(LocalTree.fingerprint(destination) == expected)

        let missing = try run(["archive", "list", "--archive", scratch.sub("nope.tar.zst"), "--json"])
        #expect(missing.status == 3)
        let error = try #require(try missing.json()["error"] as? [String: Any])
        #expect(error["exitCode"] as? Int == 3)
    }
}
