import Hashing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What ``LocalTarballStore/prune(policy:)`` removed.
public struct PruneResult: Sendable, Codable, Equatable {
    /// An evicted entry.
    public struct Removed: Sendable, Codable, Equatable {
        public var key: String
        public var bytes: Int64
        public var reason: EvictionPolicy.Reason
    }

    /// Entries evicted.
    public var removed: [Removed]
    /// Entries left.
    public var kept: Int
    /// Bytes of the archives left.
    public var keptBytes: Int64
    /// Bytes freed by evicted entries.
    public var freedBytes: Int64
}

/// Whether an entry's archive matches its index record.
public struct EntryVerification: Sendable, Codable, Equatable {
    public var key: String
    /// `nil` when the archive is intact; otherwise what is wrong.
    public var problem: String?
}

extension LocalTarballStore {
    /// Evicts entries by `policy` (default: the store's limits) and removes leftovers of killed processes.
    public func prune(policy: EvictionPolicy? = nil) async throws(StoreError) -> PruneResult {
        let policy = policy ?? eviction
        return try await Blocking.run { () throws(StoreError) -> PruneResult in
            try updateIndex { index throws(StoreError) -> PruneResult in
                let victims = policy.victims(of: index.entries, now: now())
                for victim in victims { index.remove(key: victim.entry.key) }
                try indexFile.store(index)
                for victim in victims { FileSystem.removeFile(directory.entryPath(victim.entry.file)) }
                removeLeftovers(index)
                return PruneResult(
                    removed: victims.map { .init(key: $0.entry.key, bytes: $0.entry.size, reason: $0.reason) },
                    kept: index.entries.count, keptBytes: index.totalBytes,
                    freedBytes: victims.reduce(0) { $0 + $1.entry.size })
            }
        }
    }

    /// Reads every archive and compares its size and SHA-256 with the index (does not change anything).
    public func verify() async throws(StoreError) -> [EntryVerification] {
        let entries = try indexFile.load().entries
        return await
            (try? Blocking.run { () throws(StoreError) -> [EntryVerification] in
                entries.map { entry in
                    if let problem = sizeProblem(entry) { return EntryVerification(key: entry.key, problem: problem) }
                    do {
                        let digest = try FileDigest.sha256(path: directory.entryPath(entry.file)).digest
                        let hex = Hex.encode(digest)
                        return EntryVerification(
                            key: entry.key,
                            problem: hex == entry.sha256 ? nil : "SHA-256 is \(hex), not \(entry.sha256)")
                    } catch {
                        return EntryVerification(key: entry.key, problem: "\(error)")
                    }
                }
            }) ?? []
    }

    /// Under the lock: deletes archives the index does not name (a save killed after its rename) and temporary
    /// files of processes that no longer run.
    package func removeLeftovers(_ index: CacheIndex) {
        let named = Set(index.entries.map(\.file))
        for file in FileSystem.contents(of: directory.entriesPath) where !named.contains(file) {
            logger.debug("removing orphaned archive \(file)")
            FileSystem.removeFile(directory.entryPath(file))
        }
        for file in FileSystem.contents(of: directory.temporaryPath) {
            let parts = file.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[1]) else { continue }
            if !FileSystem.processIsAlive(pid) {
                logger.debug("removing leftover temporary file \(file)")
                FileSystem.removeTree(directory.temporaryPath + "/" + file)
            }
        }
    }
}
