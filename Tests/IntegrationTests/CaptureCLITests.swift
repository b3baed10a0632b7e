import Foundation
import S3
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `storage-cache save|restore` (the action's commands, primary + S3) on a live OpenCode directory: what reaches
/// the primary tarball and the bucket with the defaults and with `include-credentials`, and restores over stale
/// `-wal`/`-shm` files from either store.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct CaptureCLITests {
    typealias CLI = CoordinatorCLI

    /// A live OpenCode directory at `<dir>/opencode` (a writer committing), a bucket, and the inputs for both stores.
    func withLiveSetup(
        _ label: String,
        _ body: (_ client: S3Client, _ bucket: String, _ dir: String, _ inputs: [String: String]) async throws -> Void
    ) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket(label, client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let writer = try SyncCaptureTests.makeLiveDirectory(dir + "/opencode")
                defer {
                    kill(writer.processIdentifier, SIGKILL)
                    writer.waitUntilExit()
                }
                var inputs = CLI.s3Inputs(bucket: bucket)
                inputs["INPUT_KEY"] = "opencode-v1"
                inputs["INPUT_CACHE-DIR"] = dir + "/cache"
                inputs["INPUT_STATE-DIR"] = dir + "/state"
                inputs["INPUT_STORAGE-PATH"] = dir + "/opencode"
                try await body(client, bucket, dir, inputs)
            }
        }
    }

    /// Paths in every primary archive under `cache` (GNU tar reads them).
    static func archiveListing(cache: String) throws -> [String] {
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache + "/entries")
        try #require(!entries.isEmpty, "no primary archive in \(cache)")
        return try entries.flatMap { try Self.tarListing(cache + "/entries/" + $0) }
    }

    static func tarListing(_ archive: String) throws -> [String] {
        let compression = archive.hasSuffix(".zst") ? "--zstd" : "--gzip"
        let listed = try ChildProcess.run("/usr/bin/env", ["tar", compression, "-tf", archive])
        try #require(listed.status == 0, "tar -tf \(archive): \(listed.stderr)")
        return listed.stdout.split(separator: "\n").map { String($0.hasPrefix("./") ? $0.dropFirst(2) : $0[...]) }
    }

    /// Every key in the bucket, and the paths inside each snapshot tarball it holds.
    static func bucketContents(_ client: S3Client, _ bucket: String, scratch: String) async throws -> (
        keys: [String], snapshotPaths: [String]
    ) {
        let keys = try await client.listObjects(bucket: bucket).objects.map(\.key)
        var paths: [String] = []
        for key in keys where key.contains("/snapshot") && key.hasSuffix(".tar.zst") {
            let local = scratch + "/snapshot-\(UUID().uuidString).tar.zst"
            _ = try await client.downloadFile(bucket: bucket, key: key, to: local)
            paths += try tarListing(local)
        }
        return (keys, paths)
    }

    static func isSecretOrLog(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        return name == "auth.json" || name == "mcp-auth.json" || path.hasPrefix("log/") || path == "log"
            || path.hasSuffix("/log") || path.contains("/storage/log/") || path.hasSuffix("/log/")
    }

    static func isCompanion(_ path: String) -> Bool {
        path.hasSuffix("-wal") || path.hasSuffix("-shm") || path.hasSuffix("-journal")
    }

    @Test func defaultsKeepCredentialsAndLogsOutOfThePrimaryAndS3() async throws {
        try await withLiveSetup("cap-cli-def") { client, bucket, dir, inputs in
            #expect(FileManager.default.fileExists(atPath: dir + "/opencode/auth.json"))
            #expect(FileManager.default.fileExists(atPath: dir + "/opencode/mcp-auth.json"))
            #expect(FileManager.default.fileExists(atPath: dir + "/opencode/log"))
            let saved = try CLI.run(["save", "--json"], environment: CLI.environment(home: dir, inputs))
            #expect(saved.status == 0, "\(saved.stderr)")
            #expect(!saved.stderr.contains("include-credentials"), "no credentials warning by default: \(saved.stderr)")

            let archived = try Self.archiveListing(cache: dir + "/cache")
            #expect(archived.contains("opencode.db"), "\(archived)")
            #expect(!archived.contains(where: Self.isSecretOrLog), "the primary holds credentials or logs: \(archived)")
            #expect(!archived.contains(where: Self.isCompanion), "\(archived)")

            let stored = try await Self.bucketContents(client, bucket, scratch: dir)
            // The database is over the chunk threshold: its chunks go into a pack, not to storage/.
            #expect(stored.keys.contains { $0.contains("/packs/") }, "the database went into a pack: \(stored.keys)")
            #expect(!stored.keys.contains(where: Self.isSecretOrLog), "S3 holds credentials or logs: \(stored.keys)")
            #expect(!stored.keys.contains(where: Self.isCompanion), "\(stored.keys)")
            #expect(!stored.snapshotPaths.contains(where: Self.isSecretOrLog), "\(stored.snapshotPaths)")
            for key in stored.keys where key.hasSuffix("manifest.json") {
                let text = String(
                    decoding: try await client.getObjectBytes(bucket: bucket, key: key).bytes, as: UTF8.self)
                #expect(!text.contains("auth.json") && !text.contains("\"log/"), "\(text)")
                #expect(text.contains("opencode.db"), "the manifest names the database: \(text)")
            }
        }
    }

    @Test func includeCredentialsSavesThemToBothStoresAndWarns() async throws {
        try await withLiveSetup("cap-cli-cred") { client, bucket, dir, inputs in
            var opted = inputs
            opted["INPUT_INCLUDE-CREDENTIALS"] = "true"
            let saved = try CLI.run(["save", "--json"], environment: CLI.environment(home: dir, opted))
            #expect(saved.status == 0, "\(saved.stderr)")
            #expect(saved.stderr.contains("include-credentials is true"), "the opt-in warns: \(saved.stderr)")

            let archived = try Self.archiveListing(cache: dir + "/cache")
            #expect(archived.contains("auth.json") && archived.contains("mcp-auth.json"), "\(archived)")
            #expect(!archived.contains { $0.hasPrefix("log") }, "logs stay out: \(archived)")
            let stored = try await Self.bucketContents(client, bucket, scratch: dir)
            #expect(stored.keys.contains("opencode-storage/github/owner-repo/storage/auth.json"), "\(stored.keys)")
            #expect(stored.keys.contains("opencode-storage/github/owner-repo/storage/mcp-auth.json"), "\(stored.keys)")
            #expect(!stored.keys.contains { $0.contains("/storage/log/") }, "\(stored.keys)")

            // A restore from the primary gives them back.
            var restoreInputs = opted
            restoreInputs["INPUT_STORAGE-PATH"] = dir + "/restored"
            let restored = try CLI.run(["restore", "--json"], environment: CLI.environment(home: dir, restoreInputs))
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(FileManager.default.fileExists(atPath: dir + "/restored/auth.json"))
            #expect(FileManager.default.fileExists(atPath: dir + "/restored/mcp-auth.json"))
        }
    }

    @Test func restoreOverStaleCompanionsGivesTheSavedStateFromThePrimaryAndFromS3() async throws {
        try await withLiveSetup("cap-cli-stale") { _, _, dir, inputs in
            let saved = try CLI.run(["save", "--json"], environment: CLI.environment(home: dir, inputs))
            #expect(saved.status == 0, "\(saved.stderr)")

            // Primary hit and (with an empty cache directory) S3. Each store's saved state comes from a clean
            // restore first, then the same store restores over a copy of that tree that went on.
            for (name, cache, source) in [
                ("primary", dir + "/cache", "primary"), ("s3", dir + "/empty-cache", "s3"),
            ] {
                var clean = inputs
                clean["INPUT_STORAGE-PATH"] = dir + "/clean-\(name)"
                clean["INPUT_CACHE-DIR"] = cache + "-clean"
                if source == "primary" { clean["INPUT_CACHE-DIR"] = cache }
                let cleanRun = try CLI.run(["restore", "--json"], environment: CLI.environment(home: dir, clean))
                #expect(try CLI.json(cleanRun.stdout)["source"] as? String == source, "\(cleanRun.stdout)")
                let reference = try SyncCaptureTests.probe(dir + "/clean-\(name)/opencode.db")
                try #require(reference.integrity == "ok" && reference.rows.count == 3, "\(reference)")
                let savedRows = reference.rows[0]
                #expect(reference.rows[1] == 1 && reference.rows[2] == savedRows, "contiguous: \(reference.rows)")

                let target = dir + "/stale-\(name)"
                _ = try ChildProcess.run("/bin/cp", ["-a", dir + "/clean-\(name)", target])
                try SyncCaptureTests.leaveStaleCompanions(target)
                let live = try SyncCaptureTests.probe(target + "/opencode.db")
                #expect(live.rows.first == savedRows + 500, "the stale WAL holds more rows: \(live.rows)")

                var restoreInputs = inputs
                restoreInputs["INPUT_STORAGE-PATH"] = target
                restoreInputs["INPUT_CACHE-DIR"] = cache
                let restored = try CLI.run(
                    ["restore", "--json"], environment: CLI.environment(home: dir, restoreInputs))
                #expect(restored.status == 0, "\(restored.stderr)")
                #expect(try CLI.json(restored.stdout)["source"] as? String == source, "\(restored.stdout)")
                // The stale companions are gone. (Warming the primary after an S3 restore captures the restored
                // database, and SQLite's read-only open leaves a new, empty -wal and its -shm: no frames, so the
                // main file is the whole state.)
                let names = try FileManager.default.contentsOfDirectory(atPath: target)
                #expect(!names.contains { $0.hasSuffix("-journal") }, "\(name): \(names)")
                let wal = (try? FileManager.default.attributesOfItem(atPath: target + "/opencode.db-wal"))?[.size]
                #expect((wal as? Int ?? 0) == 0, "\(name): a non-empty -wal was left: \(names), \(wal ?? 0) bytes")
                if source == "primary" { #expect(!names.contains(where: Self.isCompanion), "\(name): \(names)") }
                let state = try SyncCaptureTests.probe(target + "/opencode.db")
                #expect(state.integrity == "ok", "\(name): \(state.integrity)")
                #expect(state.rows == reference.rows, "\(name): \(state.rows), saved \(reference.rows)")
            }
        }
    }

    /// A save with both stores captures the live database once: the primary and S3 hold the same commit (the
    /// writer commits every 20 ms, so two captures would mostly differ).
    @Test func oneSaveGivesThePrimaryAndS3TheSameCommit() async throws {
        try await withLiveSetup("cap-cli-same") { _, _, dir, inputs in
            for round in 1...3 {
                var inputs = inputs
                inputs["INPUT_KEY"] = "opencode-v\(round)"  // primary entries are immutable: one key a save
                let saved = try CLI.run(["save", "--json"], environment: CLI.environment(home: dir, inputs))
                #expect(saved.status == 0, "\(saved.stderr)")
                var states: [String: [Int]] = [:]
                for (name, cache) in [("primary", dir + "/cache"), ("s3", dir + "/empty-\(round)")] {
                    var restore = inputs
                    restore["INPUT_STORAGE-PATH"] = dir + "/same-\(name)-\(round)"
                    restore["INPUT_CACHE-DIR"] = cache
                    let restored = try CLI.run(
                        ["restore", "--json"], environment: CLI.environment(home: dir, restore))
                    #expect(try CLI.json(restored.stdout)["source"] as? String == name, "\(restored.stdout)")
                    let state = try SyncCaptureTests.probe(dir + "/same-\(name)-\(round)/opencode.db")
                    #expect(state.integrity == "ok")
                    states[name] = state.rows
                }
                #expect(states["primary"] == states["s3"], "round \(round): \(states)")
                let leftovers = (FileManager.default.subpaths(atPath: dir) ?? []).filter { $0.contains(".sc-capture-") }
                #expect(leftovers.isEmpty, "no staging copy is left: \(leftovers)")
            }
        }
    }

    /// Excluded files are not part of the saved tree, so a restore leaves the host's own copies alone, as
    /// `rsync --delete` and `aws s3 sync --delete` do with their excludes: a bot host that provisions `auth.json`
    /// before `run` keeps it at every start (it used to lose it), and so does a primary restore.
    @Test func restoreKeepsTheHostsOwnCredentialsAndLogs() async throws {
        try await RunFixture.with("cap-keep") { fixture in
            let first = try ChildProcess.run(
                S3TestEnvironment.binary,
                fixture.arguments(["--sync-interval", "0"], ["sh", "-c", "echo saved > \"$STORE/a.txt\""]),
                environment: fixture.environment())
            #expect(first.status == 0, "\(first.stderr)")
            #expect(try await fixture.manifest()?.files == ["a.txt"])
            // The host provisions its credentials (and has logs) before the next start.
            try FileManager.default.createDirectory(atPath: fixture.store + "/log", withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: fixture.store + "/auth.json"))
            try Data("log\n".utf8).write(to: URL(fileURLWithPath: fixture.store + "/log/x.log"))
            try Data("stray".utf8).write(to: URL(fileURLWithPath: fixture.store + "/stray.txt"))
            let second = try ChildProcess.run(
                S3TestEnvironment.binary, fixture.arguments(["--sync-interval", "0"], ["true"]),
                environment: fixture.environment())
            #expect(second.status == 0, "\(second.stderr)")
            #expect(FileManager.default.fileExists(atPath: fixture.store + "/a.txt"))
            #expect(FileManager.default.fileExists(atPath: fixture.store + "/auth.json"), "run (S3 restore)")
            #expect(FileManager.default.fileExists(atPath: fixture.store + "/log/x.log"), "run (S3 restore)")
            #expect(!FileManager.default.fileExists(atPath: fixture.store + "/stray.txt"), "the rest is replaced")

            // The primary: save a tree, restore it over a directory holding credentials.
            let cache = fixture.scratch + "/cache"
            let target = fixture.scratch + "/target"
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: target + "/auth.json"))
            let env = fixture.environment()
            let saved = try ChildProcess.run(
                S3TestEnvironment.binary, ["save", "--path", fixture.store, "--key", "k", "--cache-dir", cache],
                environment: env)
            #expect(saved.status == 0, "\(saved.stderr)")
            let restored = try ChildProcess.run(
                S3TestEnvironment.binary, ["restore", "--path", target, "--key", "k", "--cache-dir", cache],
                environment: env)
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(FileManager.default.fileExists(atPath: target + "/a.txt"))
            #expect(FileManager.default.fileExists(atPath: target + "/auth.json"), "restore (primary)")
        }
    }

    @Test func runWarnsWhenCredentialsAreIncluded() async throws {
        try await RunFixture.with("cap-run-cred") { fixture in
            let run = try ChildProcess.run(
                S3TestEnvironment.binary,
                fixture.arguments(["--sync-interval", "0"], ["sh", "-c", "echo {} > \"$STORE/auth.json\""]),
                environment: fixture.environment(["INPUT_INCLUDE-CREDENTIALS": "true"]))
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("include-credentials is true"), "\(run.stderr)")
            #expect(try await fixture.manifest()?.files == ["auth.json"])
        }
    }
}
