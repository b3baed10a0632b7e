import Foundation
import Testing

/// A restore replaces what the save holds and keeps what it left out (the host's credentials and logs), through
/// every restore of the binary; the stale companions of the restored database are still removed.
extension CaptureCLITests {
    /// Turns a copy of a restored tree into a host's directory that went on: a stale `-wal`/`-shm`, the host's own
    /// credentials and logs (`tag` in their content), a file the save never held, a saved file changed.
    static func makeHostDirectory(_ target: String, from clean: String, tag: String) throws {
        let copied = try ChildProcess.run("/bin/cp", ["-a", clean, target])
        try #require(copied.status == 0, "\(copied.stderr)")
        try SyncCaptureTests.leaveStaleCompanions(target)
        try FileManager.default.createDirectory(atPath: target + "/log/deep", withIntermediateDirectories: true)
        for (path, text) in [
            ("auth.json", "{\"host\": \"\(tag)\"}"), ("mcp-auth.json", "{\"mcp\": \"\(tag)\"}"),
            ("log/host.log", "log \(tag)"), ("log/deep/older.log", "older \(tag)"), ("stray.txt", "not saved"),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: target + "/" + path))
        }
    }

    /// Checks a restored host directory: its own excluded files as they were, the rest as saved.
    static func expectKeptAndReplaced(
        _ target: String, tag: String, reference: [Int], clean: String, _ name: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        func text(_ path: String) -> String? { try? String(contentsOfFile: target + "/" + path, encoding: .utf8) }
        #expect(text("auth.json") == "{\"host\": \"\(tag)\"}", "\(name): auth.json", sourceLocation: sourceLocation)
        #expect(text("mcp-auth.json") == "{\"mcp\": \"\(tag)\"}", "\(name)", sourceLocation: sourceLocation)
        #expect(text("log/host.log") == "log \(tag)", "\(name): log/", sourceLocation: sourceLocation)
        #expect(text("log/deep/older.log") == "older \(tag)", "\(name)", sourceLocation: sourceLocation)
        #expect(text("stray.txt") == nil, "\(name): a file the save never held is gone", sourceLocation: sourceLocation)
        let names = try FileManager.default.contentsOfDirectory(atPath: target)
        #expect(!names.contains { $0.hasSuffix("-journal") }, "\(name): \(names)", sourceLocation: sourceLocation)
        let wal = (try? FileManager.default.attributesOfItem(atPath: target + "/opencode.db-wal"))?[.size] as? Int
        #expect((wal ?? 0) == 0, "\(name): the stale -wal was kept (\(wal ?? 0) bytes)", sourceLocation: sourceLocation)
        let state = try SyncCaptureTests.probe(target + "/opencode.db")
        #expect(state.integrity == "ok", "\(name): \(state.integrity)", sourceLocation: sourceLocation)
        #expect(state.rows == reference, "\(name): \(state.rows), saved \(reference)", sourceLocation: sourceLocation)
        // Everything else is the saved tree, file for file.
        var restored = RunFixture.files(target)
        var saved = RunFixture.files(clean)
        for excluded in ["auth.json", "mcp-auth.json", "log/host.log", "log/deep/older.log"] {
            restored.removeValue(forKey: excluded)
        }
        for companion in ["opencode.db-wal", "opencode.db-shm", "opencode.db"] {
            restored.removeValue(forKey: companion)
            saved.removeValue(forKey: companion)
        }
        #expect(restored == saved, "\(name): the rest is not the saved tree", sourceLocation: sourceLocation)
    }

    @Test func everyRestoreKeepsTheHostsExcludedFilesAndReplacesTheRest() async throws {
        try await withLiveSetup("cap-keep-all") { _, _, dir, inputs in
            let saved = try CLI.run(["save", "--json"], environment: CLI.environment(home: dir, inputs))
            #expect(saved.status == 0, "\(saved.stderr)")
            // The saved state, from a restore into a new directory.
            var cleanInputs = inputs
            cleanInputs["INPUT_STORAGE-PATH"] = dir + "/clean"
            let cleanRun = try CLI.run(["restore", "--json"], environment: CLI.environment(home: dir, cleanInputs))
            #expect(cleanRun.status == 0, "\(cleanRun.stderr)")
            let reference = try SyncCaptureTests.probe(dir + "/clean/opencode.db").rows
            try #require(reference.count == 3 && reference[0] > 0, "\(reference)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/clean/auth.json"), "the save left it out")

            let cases: [(name: String, arguments: [String], cache: String)] = [
                ("restore (primary)", ["restore", "--json"], dir + "/cache"),
                ("restore (S3)", ["restore", "--json"], dir + "/empty-cache"),
                ("sync pull (snapshot)", ["sync", "pull", "--json"], dir + "/unused"),
                ("sync pull (per-file)", ["sync", "pull", "--json", "--no-snapshot"], dir + "/unused"),
            ]
            for (index, item) in cases.enumerated() {
                let target = dir + "/host-\(index)"
                let tag = "host-\(index)-\(UUID().uuidString)"
                try Self.makeHostDirectory(target, from: dir + "/clean", tag: tag)
                var restoreInputs = inputs
                restoreInputs["INPUT_STORAGE-PATH"] = target
                restoreInputs["INPUT_CACHE-DIR"] = item.cache
                var arguments = item.arguments
                if arguments[0] == "sync" { arguments += ["--path", target] }
                let restored = try CLI.run(arguments, environment: CLI.environment(home: dir, restoreInputs))
                #expect(restored.status == 0, "\(item.name): \(restored.stderr)")
                if arguments[0] == "restore" {
                    let source = item.cache.hasSuffix("/cache") ? "primary" : "s3"
                    #expect(try CLI.json(restored.stdout)["source"] as? String == source, "\(restored.stdout)")
                }
                try Self.expectKeptAndReplaced(target, tag: tag, reference: reference, clean: dir + "/clean", item.name)
                let leftovers = (try FileManager.default.contentsOfDirectory(atPath: dir)).filter {
                    $0.contains(".sc-staging-")
                }
                #expect(leftovers.isEmpty, "\(item.name): \(leftovers)")
            }
        }
    }
}
