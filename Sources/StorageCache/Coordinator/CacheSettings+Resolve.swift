import Foundation
import Tarball

extension CacheSettings {
    /// Resolves and validates the cache inputs from `flags` (which win), the `INPUT_*` variables of `environment`
    /// and defaults, and the S3 inputs (``SyncSettings/resolve(flags:environment:)``) when `s3-backup` is on.
    ///
    /// - `key` defaults to the `STATE_key` a restore step left (a save step of the action), else to
    ///   ``defaultKey(agentIdentity:repo:os:)``.
    /// - `storage-path` defaults to OpenCode's data directory (``OpenCodeDefaults/dataDirectory(environment:)``);
    ///   the value as given (before `~` expansion) is ``CacheSettings/versionPath``.
    /// - `primary: github` needs the cache service's variables (``GitHubActionsRuntime``).
    /// - `tarball` gives the compression; its excludes are OpenCode's defaults (credential files, `log/`, unless
    ///   `include-credentials`) followed by the `exclude` input.
    public static func resolve(
        flags: CacheSettingsFlags, syncFlags: SyncSettingsFlags = SyncSettingsFlags(),
        tarball: TarballOptions = TarballOptions(), overwrite: Bool = false,
        eviction: EvictionPolicy = EvictionPolicy(), syncRestoredTree: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(InputError) -> CacheSettings {
        let inputs = ActionInputs(environment: environment)
        func value(_ flag: String?, _ input: String) -> String? { SyncSettings.nonEmpty(flag) ?? inputs.string(input) }
        func error(_ input: String, _ message: String) -> InputError {
            InputError(
                input: input, flag: CacheSettingsFlags.flagNames[input] ?? SyncSettingsFlags.flagNames[input],
                message: message)
        }
        func bool(_ flag: Bool?, _ input: String) throws(InputError) -> Bool? {
            if let flag { return flag }
            return try inputs.bool(input, flag: CacheSettingsFlags.flagNames[input])
        }

        let identityText = value(syncFlags.agentIdentity, "agent-identity") ?? AgentIdentity.github.rawValue
        guard let identity = AgentIdentity(rawValue: identityText.lowercased()) else {
            throw error("agent-identity", "must be github or discord, not \"\(identityText)\"")
        }
        let repo = value(syncFlags.repo, "repo") ?? SyncSettings.nonEmpty(environment["GITHUB_REPOSITORY"])

        let storagePath: String
        var versionPath: String?
        if let given = value(flags.storagePath ?? syncFlags.storagePath, "storage-path") {
            storagePath = SyncSettings.expandTilde(given, environment: environment)
            versionPath = given
        } else if let dataDirectory = OpenCodeDefaults.dataDirectory(environment: environment) {
            storagePath = dataDirectory
        } else {
            throw error("storage-path", "is required when HOME is not set")
        }

        let key: String
        if let given = value(flags.key, "key") ?? SyncSettings.nonEmpty(environment["STATE_key"]) {
            key = given
        } else if let repo {
            key = defaultKey(agentIdentity: identity, repo: repo, os: operatingSystem(environment: environment))
        } else {
            throw error("key", "is required when the repository is unknown (set key, repo or GITHUB_REPOSITORY)")
        }
        do {
            try CacheKey.validate(key, name: "key")
        } catch {
            throw InputError(input: "key", flag: "--key", message: error.message)
        }
        let restoreKeys =
            flags.restoreKeys.isEmpty ? inputs.list("restore-keys") : CacheKey.splitRestoreKeys(flags.restoreKeys)
        for restoreKey in restoreKeys {
            do {
                try CacheKey.validate(restoreKey, name: "restore-keys")
            } catch {
                throw InputError(input: "restore-keys", flag: "--restore-keys", message: error.message)
            }
        }

        let primaryText = value(flags.primary, "primary") ?? PrimaryKind.auto.rawValue
        guard let primary = PrimaryKind(rawValue: primaryText.lowercased()) else {
            throw error("primary", "must be auto, local, github or none, not \"\(primaryText)\"")
        }
        if primary == .github, let reason = GitHubActionsRuntime(environment: environment).unavailableReason {
            throw error("primary", "github (the GitHub Actions cache service) \(reason); use auto, local or none")
        }
        let cacheModeText = value(flags.cacheMode, "cache-mode") ?? CacheMode.readWrite.rawValue
        guard let cacheMode = CacheMode(rawValue: cacheModeText.lowercased()) else {
            throw error("cache-mode", "must be read-write, read, write-only or off, not \"\(cacheModeText)\"")
        }
        let cacheDirectory =
            value(flags.cacheDirectory, "cache-dir").map { SyncSettings.expandTilde($0, environment: environment) }
            ?? SyncSettings.nonEmpty(environment["STORAGE_CACHE_DIR"])

        let modeText = value(flags.s3FailureMode, "s3-failure-mode") ?? S3FailureMode.warn.rawValue
        guard let mode = S3FailureMode(rawValue: modeText.lowercased()) else {
            throw error("s3-failure-mode", "must be warn or fail, not \"\(modeText)\"")
        }
        let failOnCacheMiss = try bool(flags.failOnCacheMiss, "fail-on-cache-miss") ?? false
        let lookupOnly = try bool(flags.lookupOnly, "lookup-only") ?? false

        var s3: SyncSettings?
        if try bool(flags.s3Backup, "s3-backup") ?? false {
            var sync = syncFlags
            sync.storagePath = storagePath
            sync.agentIdentity = identity.rawValue
            s3 = try SyncSettings.resolve(flags: sync, environment: environment)
        }
        if s3 == nil && primary == .none {
            throw error("primary", "none needs s3-backup: true (there would be nowhere to restore from or save to)")
        }

        var tarball = tarball
        if tarball.excludes.isEmpty {
            tarball.excludes = syncFlags.excludes.isEmpty ? inputs.list("exclude") : syncFlags.excludes
        }
        // The primary holds what S3 holds: credential files and logs stay out unless include-credentials is on.
        let includeCredentials = try inputs.bool("include-credentials", flag: nil) ?? false
        tarball.excludes = OpenCodeDefaults.excludes(includeCredentials: includeCredentials) + tarball.excludes
        var settings = CacheSettings(
            storagePath: storagePath, key: key, restoreKeys: restoreKeys, primary: primary,
            cacheDirectory: cacheDirectory, s3: s3, s3FailureMode: mode, failOnCacheMiss: failOnCacheMiss,
            lookupOnly: lookupOnly, agentIdentity: identity, repo: repo, tarball: tarball, overwrite: overwrite,
            eviction: eviction, syncRestoredTree: syncRestoredTree, cacheMode: cacheMode, versionPath: versionPath)
        settings.includeCredentials = includeCredentials
        // Freshness: which store a restore trusts first.
        settings.restoreOrder = try RestoreOrder.resolve(flag: flags.restoreOrder, environment: environment)
        return settings
    }
}
