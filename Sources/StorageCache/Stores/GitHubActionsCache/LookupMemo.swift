import Foundation
import Synchronization

/// The last entry a ``GitHubActionsCacheStore/lookup(key:restoreKeys:)`` found, so that the restore a coordinator
/// makes right after it (freshness looks the entry up first, then restores from the winner) reuses the signed URL
/// instead of asking the service again. Kept for a short time only: signed URLs expire, and a refused one is asked
/// for again anyway.
final class LookupMemo: Sendable {
    /// How long a remembered match is reused.
    static let lifetime: Duration = .seconds(60)

    private struct Entry {
        var key: String
        var restoreKeys: [String]
        var version: String
        var match: GitHubActionsCacheStore.Match
        var info: BlobTransfer.BlobInfo
        var at: ContinuousClock.Instant
    }

    private let entry = Mutex<Entry?>(nil)

    init() {}

    /// Remembers what a lookup found.
    func remember(
        key: String, restoreKeys: [String], version: String, match: GitHubActionsCacheStore.Match,
        info: BlobTransfer.BlobInfo
    ) {
        entry.withLock {
            $0 = Entry(
                key: key, restoreKeys: restoreKeys, version: version, match: match, info: info, at: .now)
        }
    }

    /// The remembered match for exactly these keys and version, if it is fresh; it is used once.
    func take(key: String, restoreKeys: [String], version: String) -> (
        GitHubActionsCacheStore.Match, BlobTransfer.BlobInfo
    )? {
        entry.withLock { stored in
            defer { stored = nil }
            guard let found = stored, found.key == key, found.restoreKeys == restoreKeys, found.version == version,
                ContinuousClock.now - found.at < Self.lifetime
            else { return nil }
            return (found.match, found.info)
        }
    }
}
