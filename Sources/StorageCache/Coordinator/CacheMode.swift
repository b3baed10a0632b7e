import Foundation

/// What a restore and a save may do, for the primary and for S3 alike (input `cache-mode`).
public enum CacheMode: String, Sendable, Codable, CaseIterable {
    /// Restore and save (the default).
    case readWrite = "read-write"
    /// Restore only: a save writes nothing anywhere (no cache entry, no S3 object, no pending record), and a
    /// restore from S3 does not warm the primary.
    case read
    /// Save only: a restore reads nothing (so a poisoned cache cannot be restored); the directory is left as on a
    /// miss.
    case writeOnly = "write-only"
    /// Neither: restore and save make no request and touch nothing.
    case off

    /// Whether restores read the stores.
    public var allowsRead: Bool { self == .readWrite || self == .read }
    /// Whether saves (and warming) write the stores.
    public var allowsWrite: Bool { self == .readWrite || self == .writeOnly }
}

/// What a job's runner lets it do with the GitHub Actions cache (`ACTIONS_CACHE_MODE`), as `@actions/cache` 6.2
/// reads it: trimmed and lower-cased; `read` and `write` may read, `write` and `write-only` may write, `none` may
/// do neither; unset, empty or any other value may do both.
public struct ActionsCacheAccess: Sendable, Equatable {
    /// The mode as read (`""` when unset).
    public let mode: String
    public let allowsRead: Bool
    public let allowsWrite: Bool

    public init(mode: String?) {
        let mode = (mode ?? "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        self.mode = mode
        let known = ["none", "read", "write", "write-only"].contains(mode)
        allowsRead = !known || mode == "read" || mode == "write"
        allowsWrite = !known || mode == "write" || mode == "write-only"
    }

    public init(environment: [String: String]) {
        self.init(mode: environment["ACTIONS_CACHE_MODE"])
    }

    /// Everything allowed (no `ACTIONS_CACHE_MODE`).
    public static let unrestricted = ActionsCacheAccess(mode: nil)
}
