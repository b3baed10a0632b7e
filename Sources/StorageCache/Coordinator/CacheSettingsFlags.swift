/// Values given on the command line for the cache inputs; they win over `INPUT_*` variables and defaults. `nil`
/// (or an empty list) means "not given". The S3 inputs are ``SyncSettingsFlags``.
public struct CacheSettingsFlags: Sendable, Equatable {
    public var storagePath: String?
    public var key: String?
    public var restoreKeys: [String] = []
    public var primary: String?
    public var cacheDirectory: String?
    public var s3Backup: Bool?
    public var s3FailureMode: String?
    public var failOnCacheMiss: Bool?
    public var lookupOnly: Bool?
    public var cacheMode: String?
    public var restoreOrder: String?

    public init() {}

    /// The flag that sets each input, for messages.
    public static let flagNames: [String: String] = [
        "storage-path": "--path", "key": "--key", "restore-keys": "--restore-keys", "primary": "--primary",
        "cache-dir": "--cache-dir", "s3-backup": "--s3-backup", "s3-failure-mode": "--s3-failure-mode",
        "fail-on-cache-miss": "--fail-on-cache-miss", "lookup-only": "--lookup-only", "cache-mode": "--cache-mode",
        "restore-order": "--restore-order",
    ]
}
