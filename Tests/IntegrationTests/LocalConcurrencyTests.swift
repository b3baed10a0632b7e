import Foundation
import StorageCache
import Testing

@Suite("storage-cache processes sharing one cache directory")
struct LocalConcurrencyTests {
    @Test func twoProcessesSavingOneKeyLeaveOneValidEntry() async throws {
        let scratch = try LocalScratch()
        let cache = scratch.sub("cache")
        let trees = [scratch.sub("a"), scratch.sub("b")]
        for (i, tree) in trees.enumerated() {
            try LocalTree.generate(tree, seed: UInt64(10 + i), files: 300, blobBytes: 2 << 20)
        }
        let home = scratch.path
        for round in 0..<3 {
            let key = "same-key-\(round)"
            let results = try await withThrowingTaskGroup(of: CLIBinary.Run.self) { group in
                for tree in trees {
                    group.addTask {
                        try CLIBinary.run(
                            ["save", "--path", tree, "--key", key, "--cache-dir", cache, "--json"], home: home)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
            let outcomes = try results.map { try $0.json()["outcome"] as? String }.compactMap { $0 }.sorted()
            #expect(outcomes == ["exists", "saved"])

            let store = LocalTarballStore(directory: cache, syncRestoredTree: false)
            #expect(try await store.entries().filter { $0.key == key }.count == 1)
            #expect(try await store.verify().allSatisfy { $0.problem == nil })
            let destination = scratch.sub("dst")
            #expect(try await store.restore(key: key, into: destination).outcome == .hit)
            let restored = LocalTree.digest(destination)
            #expect(trees.contains { LocalTree.digest($0) == restored })
        }
        let archives = try FileManager.default.contentsOfDirectory(atPath: cache + "/entries")
        #expect(archives.count == 3, "no orphaned archives: \(archives)")
    }
}
