import Foundation
import Tarball

/// Everything a ``CacheCoordinator`` needs, resolved from flags first, then `INPUT_*` variables (and, for the save
/// step of an action, the `STATE_*` its restore step left), then defaults, and validated.
///
/// Every invalid value is an ``InputError`` naming its input. The S3 part is ``SyncSettings`` and is resolved only
/// when `s3-backup` is on.
public struct CacheSettings: Sendable {
    /// The directory restored into and saved from (default OpenCode's data directory, `~/.local/share/opencode`).
    public var storagePath: String
    /// The primary cache key.
    public var key: String
    /// Key prefixes a restore falls back on, in order.
    public var restoreKeys: [String]
    /// The primary store asked for (`auto` resolved by ``PrimaryKind/resolved(environment:)``).
    public var primary: PrimaryKind
    /// The local cache directory, `nil` for ``CacheDirectory/defaultRoot(environment:)``.
    public var cacheDirectory: String?
    /// The S3 settings when `s3-backup` is on, else `nil` (and no S3 request is ever made).
    public var s3: SyncSettings?
    /// What an S3 failure during a save does.
    public var s3FailureMode: S3FailureMode
    /// Whether a restore that finds nothing anywhere is an error (exit 3).
    public var failOnCacheMiss: Bool
    /// Whether a restore only checks where an entry exists, restoring nothing.
    public var lookupOnly: Bool
    /// The agent identity (part of the default key and of the S3 location).
    public var agentIdentity: AgentIdentity
    /// `owner/repo`, when known.
    public var repo: String?
    /// How the primary archive is written (compression; the excludes are the `exclude` input).
    public var tarball: TarballOptions
    /// Replace an existing primary entry with the same key.
    public var overwrite: Bool
    /// The local cache's limits.
    public var eviction: EvictionPolicy
    /// Whether a primary restore flushes the tree to disk before swapping it in (`--fsync`; off by default).
    public var syncRestoredTree: Bool
    /// What restores and saves may do, for every store (`cache-mode`).
    public var cacheMode: CacheMode
    /// `storage-path` as the workflow (or command line) wrote it, before `~` expansion: the path the GitHub Actions
    /// cache version is computed from, as actions/cache computes it from its `path` input.
    public var versionPath: String
    /// Which store a restore trusts first when both are on (input `restore-order`; see ``RestoreOrder``).
    public var restoreOrder: RestoreOrder = .newest
    /// Whether credential files are saved (`include-credentials: true`): every save then warns.
    public var includeCredentials = false

    /// `opencode-storage-<identity>-<owner-repo>-<OS>`, e.g. `opencode-storage-github-owner-repo-Linux`.
    public static func defaultKey(agentIdentity: AgentIdentity, repo: String, os: String) -> String {
        "opencode-storage-\(agentIdentity.rawValue)-\(SyncLocation.sanitize(repo: repo))-\(os)"
    }

    /// The runner's OS name (`RUNNER_OS`), else this host's (`Linux`, `macOS`).
    public static func operatingSystem(environment: [String: String]) -> String {
        if let os = SyncSettings.nonEmpty(environment["RUNNER_OS"]) { return os }
        #if os(macOS)
            return "macOS"
        #else
            return "Linux"
        #endif
    }

    public init(
        storagePath: String, key: String, restoreKeys: [String] = [], primary: PrimaryKind = .auto,
        cacheDirectory: String? = nil, s3: SyncSettings? = nil, s3FailureMode: S3FailureMode = .warn,
        failOnCacheMiss: Bool = false, lookupOnly: Bool = false, agentIdentity: AgentIdentity = .github,
        repo: String? = nil, tarball: TarballOptions = TarballOptions(), overwrite: Bool = false,
        eviction: EvictionPolicy = EvictionPolicy(), syncRestoredTree: Bool = false,
        cacheMode: CacheMode = .readWrite, versionPath: String? = nil
    ) {
        self.storagePath = storagePath
        self.key = key
        self.restoreKeys = restoreKeys
        self.primary = primary
        self.cacheDirectory = cacheDirectory
        self.s3 = s3
        self.s3FailureMode = s3FailureMode
        self.failOnCacheMiss = failOnCacheMiss
        self.lookupOnly = lookupOnly
        self.agentIdentity = agentIdentity
        self.repo = repo
        self.tarball = tarball
        self.overwrite = overwrite
        self.eviction = eviction
        self.syncRestoredTree = syncRestoredTree
        self.cacheMode = cacheMode
        self.versionPath = versionPath ?? storagePath
    }
}
