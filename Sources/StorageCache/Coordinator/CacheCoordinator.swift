import Foundation
import Logging

/// The product: a primary tarball cache in front of an S3 write-through copy (RFC-019), for the CLI, the GitHub
/// Action and long-running hosts (`run -- CMD`).
///
/// - ``restore()`` tries the primary store (exact key, then restore keys); on a miss or a damaged entry it pulls
///   the S3 copy (when `s3-backup` is on) and warms the primary with it; when nothing has the tree the storage
///   directory is left as it was (created empty if missing). The report says where the tree came from.
/// - ``save()`` writes the primary and S3 concurrently. An S3 failure is a warning and a record in the pending
///   queue (``PendingQueue``) unless `s3-failure-mode` is `fail`.
///
/// Without S3 settings no S3 request is made at all. Failures that stop a restore or save are ``StoreError``s
/// whose ``StoreError/exitStatus`` is the documented exit code; messages never hold a secret.
///
/// ```swift
/// let settings = try CacheSettings.resolve(flags: CacheSettingsFlags(), syncFlags: SyncSettingsFlags())
/// let coordinator = try CacheCoordinator(settings: settings, logger: logger)
/// let restored = try await coordinator.restore()   // before the agent runs
/// // … the agent writes settings.storagePath …
/// let saved = try await coordinator.save()         // after it (and periodically)
/// ```
public struct CacheCoordinator: Sendable {
    /// What to restore and save, and where.
    public let settings: CacheSettings
    /// The primary store, `nil` for `primary: none`.
    public let primary: (any TarballStore)?
    /// The S3 copy, `nil` when `s3-backup` is off.
    public let s3: S3Backup?
    /// The S3 generation the storage directory was built on: set by ``restore()`` and ``save()``, the condition of
    /// the next push (see ``SyncOptions/expectedBaseGeneration``). Hosts that restore elsewhere may set it.
    public let baseGeneration = BaseGeneration()
    let logger: Logger

    /// A coordinator with explicit stores (tests, hosts with their own clients).
    public init(settings: CacheSettings, primary: (any TarballStore)?, s3: S3Backup?, logger: Logger) {
        self.settings = settings
        self.primary = primary
        self.s3 = s3
        self.logger = logger
    }

    /// A coordinator with the stores `settings` name: for `primary: auto` the GitHub Actions cache when
    /// ``GitHubActionsRuntime/isAvailable`` on `environment`, else the local cache; `github` and `local` as named
    /// (the GitHub Actions cache's version from ``CacheSettings/versionPath``, its access from
    /// `ACTIONS_CACHE_MODE`); and an S3 copy with credentials from the AWS chain over `environment` when
    /// `s3-backup` is on.
    public init(
        settings: CacheSettings, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
    ) throws(InputError) {
        let primary: (any TarballStore)?
        switch settings.primary.resolved(environment: environment) {
        case .local, .auto:
            primary = LocalTarballStore(
                directory: settings.cacheDirectory, eviction: settings.eviction,
                syncRestoredTree: settings.syncRestoredTree, environment: environment, logger: logger)
        case .github:
            let runtime = GitHubActionsRuntime(environment: environment)
            guard runtime.isAvailable,
                let store = GitHubActionsCacheStore.fromEnvironment(
                    environment, versionPaths: [settings.versionPath], logger: logger)
            else {
                throw InputError(
                    input: "primary", flag: "--primary",
                    message:
                        "github (the GitHub Actions cache service) \(runtime.unavailableReason ?? "is not available"); use auto, local or none"
                )
            }
            primary = store
        case .none:
            primary = nil
        }
        let s3 = try settings.s3.map { (sync) throws(InputError) in
            try S3Backup(settings: sync, environment: environment, logger: logger)
        }
        self.init(settings: settings, primary: primary, s3: s3, logger: logger)
    }
}
