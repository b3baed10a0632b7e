import Foundation
import StorageCache
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGKILL at random moments must never leave a half-written entry in the index or a half-restored destination.
@Suite("storage-cache killed mid-operation", .serialized)
struct LocalKillTests {
    static let rounds = 20

    let scratch: LocalScratch
    let cache: String
    let treeA: String
    let treeB: String

    init() throws {
        scratch = try LocalScratch()
        cache = scratch.sub("cache")
        treeA = scratch.sub("tree-a")
        treeB = scratch.sub("tree-b")
        // Big enough that kills land mid-operation (a save takes ~0.1 s here, a restore ~0.5 s), small enough to
        // keep 2 x 20 rounds quick.
        try LocalTree.generate(treeA, seed: 21, files: 600, blobBytes: 3 << 20)
        try LocalTree.generate(treeB, seed: 22, files: 500, blobBytes: 4 << 20)
    }

    /// Runs `arguments`, kills the process after a random delay in `0..<maxDelay` seconds, and returns whether the
    /// kill landed while it was still running.
    func runAndKill(_ arguments: [String], maxDelay: Double) throws -> Bool {
        let process = try CLIBinary.start(arguments, home: scratch.path)
        usleep(UInt32(Double.random(in: 0..<maxDelay) * 1_000_000))
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return wasRunning && process.terminationReason == .uncaughtSignal
    }

    /// Seconds one uninterrupted run of `arguments` takes.
    func timed(_ arguments: [String]) throws -> Double {
        let start = Date()
        let result = try CLIBinary.run(arguments, home: scratch.path)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return Date().timeIntervalSince(start)
    }

    func expectIndexVerifies(_ context: String) async throws {
        let problems = try await LocalTarballStore(directory: cache).verify().filter { $0.problem != nil }
        #expect(problems.isEmpty, "\(context): \(problems)")
    }

    @Test func killedSavesNeverLeaveAHalfWrittenEntry() async throws {
        let trees = [treeA, treeB]
        let duration = try timed(["save", "--path", treeA, "--key", "calibrate", "--cache-dir", cache])
        var landed = 0
        for round in 0..<Self.rounds {
            let key = "kill-save-\(round % 3)"
            let tree = trees[round % 2]
            let arguments = ["save", "--path", tree, "--key", key, "--overwrite", "--cache-dir", cache]
            if try runAndKill(arguments, maxDelay: duration * 1.2 + 0.02) { landed += 1 }
            try await expectIndexVerifies("after killing save round \(round)")
        }
        #expect(landed >= Self.rounds / 4, "only \(landed) kills landed mid-save; make the tree bigger")

        // Whatever survived restores to one of the trees, exactly; the cache keeps working.
        let store = LocalTarballStore(directory: cache, syncRestoredTree: false)
        for entry in try await store.entries() {
            let destination = scratch.sub("check")
            #expect(try await store.restore(key: entry.key, into: destination).outcome == .hit)
            let restored = LocalTree.digest(destination)
            #expect(trees.contains { LocalTree.digest($0) == restored }, "entry \(entry.key)")
        }
        let after = try CLIBinary.run(
            ["save", "--path", treeB, "--key", "after-kills", "--cache-dir", cache], home: scratch.path)
        #expect(after.status == 0, "\(after.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cache + "/tmp")
        #expect(leftovers.isEmpty, "temporary files of killed saves are cleaned up: \(leftovers)")
        let indexed = Set(try await store.entries().map(\.file))
        let archives = Set(try FileManager.default.contentsOfDirectory(atPath: cache + "/entries"))
        #expect(archives == indexed, "no orphaned archives")
    }

    @Test func killedRestoresLeaveTheOldTreeOrTheNewOne() async throws {
        for (tree, key) in [(treeA, "tree-a"), (treeB, "tree-b")] {
            _ = try timed(["save", "--path", tree, "--key", key, "--cache-dir", cache])
        }
        let fingerprints = ["tree-a": LocalTree.digest(treeA), "tree-b": LocalTree.digest(treeB)]
        let destination = scratch.sub("agent/storage")
        var current = "tree-a"
        let duration = try timed(
            ["restore", "--path", destination, "--key", current, "--cache-dir", cache, "--no-fsync"])
        #expect(LocalTree.digest(destination) == fingerprints[current])

        var landed = 0
        var swapped = 0
        for round in 0..<Self.rounds {
            let target = current == "tree-a" ? "tree-b" : "tree-a"
            // Most rounds skip the flush (the default; syncfs takes seconds on a busy shared disk); every tenth
            // flushes (--fsync), so a kill also lands during a syncfs.
            let arguments =
                ["restore", "--path", destination, "--key", target, "--cache-dir", cache]
                + (round % 10 == 0 ? ["--fsync"] : ["--no-fsync"])
            if try runAndKill(arguments, maxDelay: duration * 1.2 + 0.02) { landed += 1 }
            let now = LocalTree.digest(destination)
            if now == fingerprints[target] {
                current = target
                swapped += 1
            } else {
                #expect(now == fingerprints[current], "round \(round): destination is neither tree")
            }
        }
        #expect(landed >= Self.rounds / 4, "only \(landed) kills landed mid-restore; make the tree bigger")
        try await expectIndexVerifies("after killing restores")

        // A restore after all that still works and yields the new tree exactly.
        let target = current == "tree-a" ? "tree-b" : "tree-a"
        _ = try timed(["restore", "--path", destination, "--key", target, "--cache-dir", cache, "--no-fsync"])
        #expect(LocalTree.digest(destination) == fingerprints[target])
        _ = swapped
    }
}
