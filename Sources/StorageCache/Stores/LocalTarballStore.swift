import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A ``TarballStore`` in a local cache directory (default `$XDG_CACHE_HOME/storage-cache`, else
/// `~/.cache/storage-cache`), with actions/cache semantics.
///
/// - Archives are written to a temporary file outside the lock, then renamed into place and named in the index
///   under a short `flock`, so readers see whole entries or none, and several processes can share the cache.
/// - The index records each archive's size and SHA-256: a lookup checks the size, a restore the SHA-256 while it
///   extracts; a damaged entry is reported as `corrupted` and removed.
/// - After each save, entries unused for longer than the age limit, then the least recently used beyond the
///   size limit, are evicted (``EvictionPolicy``).
public struct LocalTarballStore: TarballStore {
    public let name = "local"
    /// Where the cache lives.
    public let directory: CacheDirectory
    /// The limits applied after each save and by ``prune(policy:)``.
    public let eviction: EvictionPolicy
    /// Whether a restore flushes the extracted tree to disk before swapping it in (off by default, as tar and
    /// actions/cache). Off, a killed process still leaves the old tree or the new one, but a power loss right
    /// after a restore may leave empty files (the next restore repairs them); on, the restore waits for the disk.
    public let syncRestoredTree: Bool
    package let logger: Logger
    package let now: @Sendable () -> Date
    package let lock: CacheLock
    package let indexFile: CacheIndexFile

    /// A store in `directory` (default: ``CacheDirectory/defaultRoot(environment:)``). `now` is the clock used
    /// for creation and last-use times (tests move it).
    public init(
        directory: String? = nil, eviction: EvictionPolicy = EvictionPolicy(), syncRestoredTree: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "storage-cache.local"), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        let directory = CacheDirectory(root: directory ?? CacheDirectory.defaultRoot(environment: environment))
        self.directory = directory
        self.eviction = eviction
        self.syncRestoredTree = syncRestoredTree
        self.logger = logger
        self.now = now
        self.lock = CacheLock(path: directory.lockPath)
        self.indexFile = CacheIndexFile(directory: directory, logger: logger)
    }

    /// The current entries, sorted by key.
    public func entries() async throws(StoreError) -> [CacheEntry] {
        try indexFile.load().entries
    }

    /// Runs `body` on the index under the lock and stores the index when `body` changed it.
    package func updateIndex<T>(_ body: (inout CacheIndex) throws(StoreError) -> T) throws(StoreError) -> T {
        try directory.prepare()
        return try lock.withLock { () throws(StoreError) -> T in
            var index = try indexFile.load(setAsideDamaged: true)
            let before = index
            let result = try body(&index)
            if index != before { try indexFile.store(index) }
            return result
        }
    }

    /// Removes the entry for `entry.key` from the index and deletes its archive, if the index still names the
    /// same archive (a concurrent save may have replaced it).
    package func discard(_ entry: CacheEntry, reason: String) {
        do {
            try updateIndex { index throws(StoreError) in
                if let current = index.entry(forKey: entry.key), current.file == entry.file {
                    index.remove(key: entry.key)
                    FileSystem.removeFile(directory.entryPath(entry.file))
                }
            }
            logger.warning("removed cache entry '\(entry.key)': \(reason)")
        } catch {
            logger.error("cannot remove damaged cache entry '\(entry.key)': \(error)")
        }
    }
}
