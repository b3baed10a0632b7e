import Foundation
import Hashing
import Logging
import S3
import StorageCache
import TestServers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Trees, engines, a fault proxy and a CLI runner for the sync acceptance suites.
enum SyncTestSupport {
    /// Whether the `storage-cache` binary is built (the SIGKILL suites need it).
    static let hasBinary = FileManager.default.isExecutableFile(atPath: S3TestEnvironment.binary)

    /// An engine for `bucket` at `repo`, through `client`.
    static func engine(
        _ client: S3Client, bucket: String, repo: String = "owner/repo", snapshot: Bool = true, concurrency: Int = 32
    ) throws -> SyncEngine {
        var options = SyncOptions()
        options.snapshot = snapshot
        options.concurrency = concurrency
        return SyncEngine(
            client: client, location: try SyncLocation(bucket: bucket, agentIdentity: .github, repo: repo),
            options: options, logger: S3TestEnvironment.logger)
    }

    /// path → "kind size sha256-or-target mode" of every entry under `root` (files, symlinks, empty directories),
    /// plus the leftovers a pull must never leave inside the tree.
    static func describe(_ root: String) throws -> [String: String] {
        var cache = FileHashCache()
        let tree = try TreeScanner().scan(root: root, cache: &cache)
        #expect(tree.skipped.isEmpty, "unreadable entries under \(root): \(tree.skipped)")
        return Dictionary(
            uniqueKeysWithValues: tree.entries.map {
                ($0.path, "\($0.kind) \($0.size) \($0.sha256 ?? $0.target ?? "-") \(String($0.mode, radix: 8))")
            })
    }

    /// A small `gen_storage.py` tree (legacy layout) with one multipart-sized blob, plus an empty directory, a
    /// symlink and an executable, so every entry kind is exercised.
    static func generate(
        _ root: String, sessions: Int = 12, messages: Int = 8, large: Int = 1, largeMB: Int = 9, seed: Int = 1
    ) throws {
        let script = S3TestEnvironment.repositoryRoot + "/../shared/gen_storage.py"
        if FileManager.default.fileExists(atPath: script) {
            let output = try ChildProcess.run(
                "/usr/bin/env",
                [
                    "python3", script, root, "--sessions", "\(sessions)", "--messages", "\(messages)", "--large",
                    "\(large)", "--large-mb", "\(largeMB)", "--seed", "\(seed)",
                ])
            try #require(output.status == 0, "gen_storage.py failed: \(output.stderr)")
        } else {
            try fallbackTree(root, files: sessions * messages, seed: seed)
        }
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/empty/nested", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: root + "/latest", withDestinationPath: "session/info")
        try Data("#!/bin/sh\necho \(seed)\n".utf8).write(to: URL(fileURLWithPath: root + "/tool.sh"))
        chmod(root + "/tool.sh", 0o755)
    }

    private static func fallbackTree(_ root: String, files: Int, seed: Int) throws {
        for i in 0..<files {
            let dir = root + "/message/ses_\(i % 9)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data("seed \(seed) message \(i) \(String(repeating: "y", count: 2000 + i))".utf8).write(
                to: URL(fileURLWithPath: dir + "/msg_\(i).json"))
        }
        try FileManager.default.createDirectory(atPath: root + "/session/info", withIntermediateDirectories: true)
        try S3TestEnvironment.writeRandomFile(root + "/snapshot/blob_0.bin", size: 9 << 20, seed: UInt64(seed))
    }

    /// Every regular file under `root` (smaller than `below` bytes, when given), relative, sorted.
    static func regularFiles(_ root: String, below: Int64 = .max) throws -> [String] {
        var cache = FileHashCache()
        return try TreeScanner().scan(root: root, cache: &cache).entries.filter { $0.kind == .file && $0.size < below }
            .map(\.path)
    }

    /// What ``mutate(_:percent:seed:)`` did.
    struct Mutation {
        var changed: [String] = []
        var deleted: [String] = []
        var added: [String] = []
    }

    /// Changes `percent`% of the files (at least one), deletes as many others, adds as many new ones, changes a
    /// mode, retargets the symlink and adds an empty directory.
    @discardableResult
    static func mutate(_ root: String, percent: Double = 1, seed: UInt64 = 42) throws -> Mutation {
        var generator = SeededGenerator(seed: seed)
        var files = try regularFiles(root).filter { !$0.hasPrefix("snapshot/") && $0 != "tool.sh" }
        files.shuffle(using: &generator)
        let count = max(1, Int((Double(files.count) * percent / 100).rounded()))
        var mutation = Mutation()
        for path in files.prefix(count) {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/" + path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(" changed \(seed)".utf8))
            try handle.close()
            mutation.changed.append(path)
        }
        for path in files.dropFirst(count).prefix(count) {
            try FileManager.default.removeItem(atPath: root + "/" + path)
            mutation.deleted.append(path)
        }
        for i in 0..<count {
            let path = "message/new_\(seed)/msg_\(i).json"
            try FileManager.default.createDirectory(
                atPath: root + "/message/new_\(seed)", withIntermediateDirectories: true)
            try Data("{\"new\": \(i), \"seed\": \(seed)}".utf8).write(to: URL(fileURLWithPath: root + "/" + path))
            mutation.added.append(path)
        }
        chmod(root + "/tool.sh", 0o700)
        try? FileManager.default.removeItem(atPath: root + "/latest")
        try FileManager.default.createSymbolicLink(atPath: root + "/latest", withDestinationPath: "message/new_\(seed)")
        try FileManager.default.createDirectory(atPath: root + "/empty-\(seed)", withIntermediateDirectories: true)
        return mutation
    }

    /// Copies a tree with `cp -a` (modes, links, times kept).
    static func copyTree(_ source: String, to destination: String) throws {
        try? FileManager.default.removeItem(atPath: destination)
        let output = try ChildProcess.run("/bin/cp", ["-a", source, destination])
        try #require(output.status == 0, "cp -a failed: \(output.stderr)")
    }

    /// Object keys under `prefix`.
    static func keys(_ client: S3Client, bucket: String, prefix: String = "") async throws -> Set<String> {
        Set(try await client.listObjects(bucket: bucket, prefix: prefix).objects.map(\.key))
    }

    /// Names in the parent of `path` that start with `.<basename>.` (staging leftovers of pulls into `path`).
    static func leftovers(beside path: String) -> [String] {
        let parent = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        // `.<name>.sc-lock` is the destination's lock file; it stays by design.
        return names.filter {
            ($0.hasPrefix("." + base + ".") || $0.hasPrefix(".." + base + ".")) && $0 != "." + base + ".sc-lock"
        }.sorted()
    }
}

// SeededGenerator (SplitMix64) lives in CLISupport.swift.

/// `Tests/Support/fault_proxy.py` in front of LocalStack: a seeded share of requests fails with 503 or a reset.
final class FaultProxy: @unchecked Sendable {
    let server: ChildServer
    let port: Int
    var endpoint: String { "http://127.0.0.1:\(port)" }

    init(faultRate: Double, resetShare: Double = 0.5, seed: Int = 19) throws {
        let script = S3TestEnvironment.repositoryRoot + "/Tests/Support/fault_proxy.py"
        server = try ChildServer(
            executable: "/usr/bin/env",
            arguments: [
                "python3", script, "--upstream", S3TestEnvironment.endpointURL, "--fault-rate", "\(faultRate)",
                "--reset-share", "\(resetShare)", "--seed", "\(seed)",
            ], timeout: .seconds(20))
        guard server.firstLine.hasPrefix("PORT "), let port = server.port else {
            throw ChildProcess.PythonFailure(message: "fault_proxy.py did not start: \(server.firstLine)")
        }
        self.port = port
    }

    /// The proxy's counters.
    func stats() throws -> (requests: Int, faults: Int) {
        let output = try ChildProcess.run("/usr/bin/curl", ["-s", endpoint + "/__proxy/stats"])
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] ?? [:]
        let faults = (object["faults"] as? [String: Int] ?? [:]).values.reduce(0, +)
        return (object["requests"] as? Int ?? 0, faults)
    }

    /// Zeroes the counters; with `faultRate`, changes the share of faulted requests.
    func reset(faultRate: Double? = nil) throws {
        _ = try ChildProcess.run("/usr/bin/curl", ["-s", "-X", "POST", endpoint + "/__proxy/reset"])
        if let faultRate {
            _ = try ChildProcess.run(
                "/usr/bin/curl", ["-s", "-X", "POST", endpoint + "/__proxy/config?fault_rate=\(faultRate)"])
        }
    }

    /// Stops the proxy (SIGKILL) and reaps it.
    func stop() { server.stop() }
}
