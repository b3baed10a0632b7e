import Foundation
import S3

extension SyncEngine {
    /// Generations whose objects are kept: the committed one and the two before it.
    static let keptGenerations = 3

    /// Deletes the objects of removed files, then collects garbage: packs and snapshots that no kept generation
    /// names, and manifest copies older than the kept ones. Failures are warnings: the committed manifest no
    /// longer names these objects.
    ///
    /// Concurrent pushes share the prefix, so only objects labelled with a generation older than the oldest kept
    /// one are candidates: a push in flight labels its pack and snapshot with the generation it will commit, at or
    /// above the committed one (an older label can only belong to a push that will lose its race and lay its tree
    /// out again). When a newer manifest was committed meanwhile, every file and object it names is kept too.
    func deleteRemoved(
        _ paths: [String], committed: Manifest, previous: RemoteManifest?, warnings: inout [String]
    ) async -> Int {
        var paths = paths
        let timer = PhaseTimer(logger: logger)
        let oldestKept = committed.generation - (Self.keptGenerations - 1)
        var kept = [committed]
        if let previous { kept.append(previous.manifest) }
        let missing = (max(1, oldestKept)..<committed.generation).filter { generation in
            !kept.contains { $0.generation == generation }
        }
        // The kept copies and the three listings are independent requests: all at once.
        let bucket = location.bucket
        let client = self.client
        @Sendable func list(_ prefix: String) async -> [String] {
            (try? await client.listObjects(bucket: bucket, prefix: prefix))?.objects.map(\.key) ?? []
        }
        let started = ContinuousClock.now
        async let copies = readHistories(missing)
        async let snapshotKeys = list(location.root + "/snapshot-")
        async let packKeys = list(location.packsPrefix)
        async let historyKeys = list(location.historyPrefix)
        let copied = await copies
        kept += copied
        // A kept generation whose copy cannot be read (a push killed between its commit and its copy, a failed
        // read) may name packs and snapshots nothing else names: collect none of those this time. The gap leaves
        // the kept window after a few generations, and collection resumes.
        let keptComplete = copied.count == missing.count
        let snapshots = await snapshotKeys
        let packs = await packKeys
        let history = await historyKeys
        timer.log("collection reads", since: started)
        // Look at the manifest last, right before deleting, to keep the window for a concurrent commit small: a
        // HEAD tells whether it is still this push's (it carries the generation); only a newer one is read.
        if let current = await timer.measure("manifest check", { await readIfReplaced(committed) }) {
            let named = Set(current.files.map(\.path))
            paths.removeAll { named.contains($0) }
            kept.append(current)
        }
        var named = Set<String>()
        for manifest in kept {
            if let key = manifest.snapshot?.key { named.insert(key) }
            for key in manifest.packs?.keys ?? [:].keys { named.insert(key) }
            for entry in manifest.files {
                if let pack = entry.pack { named.insert(pack.key) }
                for run in entry.chunks?.runs ?? [] { named.insert(run.key) }
            }
        }
        var keys = paths.map { location.key(forRelativePath: $0) }
        if keptComplete {
            keys += snapshots.filter { key in
                !named.contains(key) && (Self.snapshotGeneration(key: key) ?? Int.min) < oldestKept
            }
            keys += packs.filter { key in
                !named.contains(key) && (SyncLocation.generationLabel(key: key) ?? Int.min) < oldestKept
            }
        } else {
            logger.debug("a kept generation's manifest copy is missing: packs and snapshots are not collected")
        }
        keys += history.filter { key in (SyncLocation.generationLabel(key: key) ?? Int.max) < oldestKept }
        guard !keys.isEmpty else { return 0 }
        do {
            let failures = try await timer.measure("deletes (\(keys.count))") { () async throws(S3Error) in
                try await client.deleteObjects(bucket: location.bucket, keys: keys)
            }
            for failure in failures.prefix(10) {
                warnings.append("could not delete \(failure.key): \(failure.message)")
            }
            return keys.count - failures.count
        } catch {
            warnings.append("could not delete \(keys.count) removed objects: \(error.description)")
            return 0
        }
    }

    /// The generation a snapshot key was written for (`…/snapshot-g<generation>-<random>.tar.zst`), or `nil` for a
    /// key without one.
    static func snapshotGeneration(key: String) -> Int? {
        guard let range = key.range(of: "/snapshot-g", options: .backwards) else { return nil }
        let digits = key[range.upperBound...].prefix { $0.isNumber }
        guard !digits.isEmpty, key[range.upperBound...].dropFirst(digits.count).hasPrefix("-") else { return nil }
        return Int(digits)
    }

    /// The kept manifest copies of `generations` that can be read, all at once.
    func readHistories(_ generations: [Int]) async -> [Manifest] {
        await withTaskGroup(of: Manifest?.self) { group in
            for generation in generations { group.addTask { await self.readHistory(generation: generation) } }
            var manifests: [Manifest] = []
            for await manifest in group { if let manifest { manifests.append(manifest) } }
            return manifests.sorted { $0.generation > $1.generation }
        }
    }

    /// The current manifest when it is no longer `committed` (a concurrent push committed after it), else `nil`;
    /// `nil` too when it cannot be read. One HEAD when it is still `committed`.
    func readIfReplaced(_ committed: Manifest) async -> Manifest? {
        if let head = try? await readHead(), head.generation == committed.generation { return nil }
        guard let current = try? await readManifest(), current.manifest.generation != committed.generation else {
            return nil
        }
        return current.manifest
    }

    /// A kept manifest copy, or `nil` when it is missing or unreadable.
    func readHistory(generation: Int) async -> Manifest? {
        guard
            let result = try? await client.getObjectBytes(
                bucket: location.bucket, key: location.historyKey(generation: generation), limit: 512 << 20)
        else { return nil }
        return try? Manifest.decode(result.bytes)
    }
}
