import ArgumentParser
import StorageCache

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a directory from the local cache.",
        discussion: """
            Looks for the exact --key first, then for each --restore-keys value in order as a prefix (the newest \
            matching entry wins). The directory is replaced as a whole; on a miss or a damaged entry it is untouched.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The directory to restore into (replaced).", valueName: "dir"))
    var path: String

    @Option(name: .long, help: "The primary cache key.")
    var key: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Key prefixes to fall back on, in order (repeatable or newline-separated).", valueName: "key"))
    var restoreKeys: [String] = []

    @Flag(name: .long, help: "Exit 3 when no entry matches.")
    var failOnCacheMiss = false

    @Flag(name: .long, help: "Only check whether an entry matches; restore nothing.")
    var lookupOnly = false

    @Flag(
        name: .long,
        help: "Do not flush the restored tree to disk before swapping it in (faster on a busy disk; still atomic).")
    var noFsync = false

    @OptionGroup var cache: CacheDirectoryOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let command = CacheCommands.Restore(
            path: path, key: key, restoreKeys: restoreKeys, cacheDirectory: cache.directory,
            failOnCacheMiss: failOnCacheMiss, lookupOnly: lookupOnly, sync: !noFsync)
        let context = output.context
        try await context.run { () throws(StoreError) in try await command.run(context) }.finish()
    }
}
