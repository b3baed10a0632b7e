import Foundation
import Testing

@testable import StorageCache

/// Not a timed test: with `STORAGE_CACHE_BENCH_GHA=1` (what `Scripts/bench ghacache` sets) it saves and restores
/// `../shared/gen_storage.py`'s default tree through the fake cache service and through the local store, and
/// prints the medians. Skipped otherwise.
@Suite("GitHubActionsCache benchmark")
struct GitHubActionsCacheBenchmark {
    static var enabled: Bool { ProcessInfo.processInfo.environment["STORAGE_CACHE_BENCH_GHA"] == "1" }

    @Test(.enabled(if: GitHubActionsCacheBenchmark.enabled))
    func saveAndRestoreThroughTheFakeServiceVersusTheLocalStore() async throws {
        let temp = try TemporaryDirectory()
        let tree = temp.sub("storage")
        let generator = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/gen_storage.py").standardized.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", generator, tree]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rounds = Int(ProcessInfo.processInfo.environment["STORAGE_CACHE_BENCH_ROUNDS"] ?? "") ?? 5

        let fake = try FakeActionsCache()
        let logs = CapturedLogs()
        let github = fake.store(logs: logs, temporaryDirectory: temp.sub("tmp"))
        let local = LocalTarballStore(directory: temp.sub("local-cache"))
        var lines: [String] = []
        for (name, store) in [("local", local as any TarballStore), ("github-actions (fake)", github)] {
            var saves: [Double] = []
            var restores: [Double] = []
            var bytes: Int64 = 0
            for round in 0..<rounds {
                let key = "bench-\(name)-\(round)"
                let started = ContinuousClock.now
                let saved = try await store.save(directory: tree, key: key, options: SaveOptions())
                saves.append(Self.seconds(ContinuousClock.now - started))
                bytes = saved.bytes
                let restoreStarted = ContinuousClock.now
                let restored = try await store.restore(key: key, into: temp.sub("out-\(round)"))
                restores.append(Self.seconds(ContinuousClock.now - restoreStarted))
                #expect(restored.outcome == .hit)
                FileSystem.removeTree(temp.sub("out-\(round)"))
            }
            lines.append(
                "\(name): archive \(bytes) bytes, save median \(Self.median(saves)) s, restore median \(Self.median(restores)) s (\(rounds) rounds)"
            )
        }
        print(lines.joined(separator: "\n"))
        print(logs.all.filter { $0.contains("downloaded") }.joined(separator: "\n"))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> String {
        let sorted = values.sorted()
        return String(format: "%.3f", sorted[sorted.count / 2])
    }
}
