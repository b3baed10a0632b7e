import ArgumentParser
import StorageCache

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a directory from the primary cache, falling back on S3 with --s3-backup.",
        discussion: """
            Looks for the exact --key first, then for each --restore-keys value in order as a prefix (the newest \
            matching entry wins). On a miss or a damaged entry it pulls the S3 copy (with --s3-backup) and saves it \
            in the primary cache under --key. The directory is replaced as a whole; on a miss it is untouched. \
            Every flag has an INPUT_* twin (INPUT_KEY, INPUT_RESTORE-KEYS, INPUT_S3-BUCKET, …); flags win.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The directory to restore into (INPUT_STORAGE-PATH; default OpenCode's data directory ~/.local/share/opencode).",
            valueName: "dir"))
    var path: String?

    @Option(
        name: .long, help: "The primary cache key (INPUT_KEY; default opencode-storage-<identity>-<owner-repo>-<OS>).")
    var key: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Key prefixes to fall back on, in order (repeatable or newline-separated; INPUT_RESTORE-KEYS).",
            valueName: "key"))
    var restoreKeys: [String] = []

    @Flag(name: .long, help: "Exit 3 when no entry matches anywhere (INPUT_FAIL-ON-CACHE-MISS).")
    var failOnCacheMiss = false

    @Flag(name: .long, help: "Only check whether an entry matches; restore nothing (INPUT_LOOKUP-ONLY).")
    var lookupOnly = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "newest (default: S3 wins when its generation is newer), primary-first or s3-first (INPUT_RESTORE-ORDER).",
            valueName: "order"))
    var restoreOrder: String?

    @Flag(
        name: .long, inversion: .prefixedNo,
        help:
            "Flush the restored tree to disk (syncfs) before swapping it in, so a machine crash right after the restore cannot leave empty files (default off, as tar and actions/cache: it waits for every dirty byte of the file system; an interrupted restore is atomic either way)."
    )
    var fsync = false

    @OptionGroup var cache: CacheDirectoryOptions
    @OptionGroup var coordinator: CoordinatorOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var flags = CacheSettingsFlags()
        flags.storagePath = path
        flags.key = key
        flags.restoreKeys = restoreKeys
        flags.cacheDirectory = cache.cacheDir
        flags.primary = coordinator.primary
        flags.cacheMode = coordinator.cacheMode
        flags.s3Backup = coordinator.s3Backup
        flags.s3FailureMode = coordinator.s3FailureMode
        flags.failOnCacheMiss = failOnCacheMiss ? true : nil
        flags.lookupOnly = lookupOnly ? true : nil
        flags.restoreOrder = restoreOrder
        let command = CoordinatorCommands.Restore(
            flags: flags, syncFlags: coordinator.syncFlags(), syncRestoredTree: fsync,
            environment: coordinator.environment)
        let context = output.context
        try await command.run(CoordinatorOptions.reporter(output), logger: context.logger).finish()
    }
}
