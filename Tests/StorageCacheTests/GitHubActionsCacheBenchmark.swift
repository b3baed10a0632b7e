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
        // Rounds interleave the stores, alternating which goes first: restores end in a syncfs, so whichever runs
        // later on a busy disk pays more, and running one store's rounds after the other's skews the comparison.
        let stores: [(String, any TarballStore)] = [("local", local), ("github-actions (fake)", github)]
        var saves: [String: [Double]] = [:]
        var restores: [String: [Double]] = [:]
        var bytes: [String: Int64] = [:]
        for round in 0..<rounds {
            for (name, store) in round % 2 == 0 ? stores : stores.reversed() {
                let key = "bench-\(name)-\(round)"
                let started = ContinuousClock.now
                let saved = try await store.save(directory: tree, key: key, options: SaveOptions())
                saves[name, default: []].append(Self.seconds(ContinuousClock.now - started))
                bytes[name] = saved.bytes
                let restoreStarted = ContinuousClock.now
                let restored = try await store.restore(key: key, into: temp.sub("out"))
                restores[name, default: []].append(Self.seconds(ContinuousClock.now - restoreStarted))
                #expect(restored.outcome == .hit)
                FileSystem.removeTree(temp.sub("out"))
            }
        }
        let lines = stores.map { name, _ in
            "\(name): archive \(bytes[name] ?? 0) bytes, save median \(Self.median(saves[name] ?? [0])) s, restore median \(Self.median(restores[name] ?? [0])) s (\(rounds) rounds)"
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
