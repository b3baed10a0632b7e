/// The index of a local cache directory: every entry that may be restored. A file not named here is not part
/// of the cache. Rewritten whole (atomically) under the cache lock; see ``CacheIndexFile``.
package struct CacheIndex: Sendable, Codable, Equatable {
    /// The format version.
    package var version: Int = 1
    /// The last sequence number handed out (saves and uses share one counter).
    package var sequence: UInt64 = 0
    /// The entries, sorted by key.
    package private(set) var entries: [CacheEntry] = []

    package init() {}

    /// A match found by ``match(key:restoreKeys:)``.
    package struct Match: Sendable, Equatable {
        /// The matched entry.
        package var entry: CacheEntry
        /// Whether the primary key matched exactly (the `cache-hit` of actions/cache).
        package var exact: Bool
    }

    /// actions/cache matching: the exact `key` first, then each of `restoreKeys` in order as a prefix, the newest
    /// matching entry winning. Keys compare as UTF-8 bytes.
    package func match(key: String, restoreKeys: [String]) -> Match? {
        if let entry = entry(forKey: key) { return Match(entry: entry, exact: true) }
        for prefix in restoreKeys where !prefix.isEmpty {
            let candidates = entries.filter { $0.key.utf8.starts(with: prefix.utf8) }
            if let newest = candidates.max(by: { $0.sequence < $1.sequence }) {
                return Match(entry: newest, exact: false)
            }
        }
        return nil
    }

    /// The entry saved under exactly `key`.
    package func entry(forKey key: String) -> CacheEntry? {
        entries.first { $0.key.utf8.elementsEqual(key.utf8) }
    }

    /// Adds `entry`, replacing one with the same key.
    package mutating func insert(_ entry: CacheEntry) {
        remove(key: entry.key)
        let position = entries.firstIndex { !($0.key.utf8.lexicographicallyPrecedes(entry.key.utf8)) }
        entries.insert(entry, at: position ?? entries.endIndex)
    }

    /// Removes the entry saved under `key` and returns it.
    @discardableResult
    package mutating func remove(key: String) -> CacheEntry? {
        guard let position = entries.firstIndex(where: { $0.key.utf8.elementsEqual(key.utf8) }) else { return nil }
        return entries.remove(at: position)
    }

    /// Replaces the entry with `entry.key` if it still refers to `file`; returns whether it did.
    @discardableResult
    package mutating func update(_ entry: CacheEntry, ifFile file: String) -> Bool {
        guard let position = entries.firstIndex(where: { $0.key.utf8.elementsEqual(entry.key.utf8) }),
            entries[position].file == file
        else { return false }
        entries[position] = entry
        return true
    }

    /// Hands out the next sequence number.
    package mutating func nextSequence() -> UInt64 {
        sequence += 1
        return sequence
    }

    /// Bytes of all archives.
    package var totalBytes: Int64 { entries.reduce(0) { $0 + $1.size } }
}
