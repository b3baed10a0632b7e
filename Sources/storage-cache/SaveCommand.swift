import ArgumentParser
import StorageCache

struct SaveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Save a directory in the primary cache under a key, and push it to S3 with --s3-backup.",
        discussion: """
            Entries are immutable: saving an existing key keeps the entry (a notice) unless --overwrite. Every flag \
            has an INPUT_* twin (INPUT_STORAGE-PATH, INPUT_KEY, INPUT_S3-BUCKET, …); flags win. An S3 failure is a \
            warning and a pending record (`sync --retry-pending`) unless --s3-failure-mode fail.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The directory to save (INPUT_STORAGE-PATH; default OpenCode's data directory ~/.local/share/opencode).",
            valueName: "dir"))
    var path: String?

    @Option(name: .long, help: "The cache key (INPUT_KEY; default opencode-storage-<identity>-<owner-repo>-<OS>).")
    var key: String?

    @Flag(name: .long, help: "Replace an existing entry with the same key.")
    var overwrite = false

    @Option(
        name: .customLong("s3-base-generation"),
        help: ArgumentHelp(
            "The S3 generation the tree was restored from (a restore's s3-generation output; INPUT_S3-BASE-GENERATION):"
                + " the push never replaces a newer one.",
            valueName: "n"))
    var s3BaseGeneration: String?

    @OptionGroup var format: TarballFormatOptions
    @OptionGroup var cache: CacheDirectoryOptions
    @OptionGroup var eviction: EvictionOptions
    @OptionGroup var coordinator: CoordinatorOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var flags = CacheSettingsFlags()
        flags.storagePath = path
        flags.key = key
        flags.cacheDirectory = cache.cacheDir
        flags.primary = coordinator.primary
        flags.cacheMode = coordinator.cacheMode
        flags.s3Backup = coordinator.s3Backup
        flags.s3FailureMode = coordinator.s3FailureMode
        let command = CoordinatorCommands.Save(
            flags: flags, syncFlags: coordinator.syncFlags(excludes: format.exclude), tarball: format.options,
            overwrite: overwrite, eviction: eviction.policy, baseGeneration: s3BaseGeneration,
            environment: coordinator.environment)
        let context = output.context
        try await command.run(CoordinatorOptions.reporter(output), logger: context.logger).finish()
    }
}
