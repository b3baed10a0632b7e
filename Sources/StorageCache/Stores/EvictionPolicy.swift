#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// When a local cache drops entries: unused for longer than `maxAge`, then least recently used first until the
/// archives fit in `maxSize`.
public struct EvictionPolicy: Sendable, Equatable {
    /// The most bytes all archives may take (default 10 GiB).
    public var maxSize: Int64
    /// The longest an entry may stay unused, in seconds (default 7 days).
    public var maxAge: Double

    /// 10 GiB.
    public static let defaultMaxSize: Int64 = 10 << 30
    /// 7 days.
    public static let defaultMaxAge: Double = 7 * 24 * 3600

    public init(maxSize: Int64 = EvictionPolicy.defaultMaxSize, maxAge: Double = EvictionPolicy.defaultMaxAge) {
        self.maxSize = maxSize
        self.maxAge = maxAge
    }

    /// Why an entry was evicted.
    public enum Reason: String, Sendable, Codable {
        /// Unused for longer than the age limit.
        case age
        /// Least recently used while the cache was over its size limit.
        case size
    }

    /// The entries of `entries` to evict at `now`, with the reason. The entry with key `keep` (the one just
    /// saved) is never chosen, even when it alone exceeds the size limit.
    package func victims(
        of entries: [CacheEntry], now: Date, keep: String? = nil
    ) -> [(entry: CacheEntry, reason: Reason)] {
        var victims: [(entry: CacheEntry, reason: Reason)] = []
        var remaining: [CacheEntry] = []
        for entry in entries {
            let kept = keep.map { entry.key.utf8.elementsEqual($0.utf8) } ?? false
            if !kept && now.timeIntervalSince(entry.lastUsedAt) > maxAge {
                victims.append((entry, .age))
            } else {
                remaining.append(entry)
            }
        }
        var total = remaining.reduce(Int64(0)) { $0 + $1.size }
        for entry in remaining.sorted(by: { $0.useSequence < $1.useSequence }) where total > maxSize {
            if let keep, entry.key.utf8.elementsEqual(keep.utf8) { continue }
            victims.append((entry, .size))
            total -= entry.size
        }
        return victims
    }
}
