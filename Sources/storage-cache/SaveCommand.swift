import ArgumentParser
import StorageCache

struct SaveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Save a directory in the local cache under a key.",
        discussion: "Entries are immutable: saving an existing key keeps the entry (a notice) unless --overwrite."
    )

    @Option(name: .long, help: ArgumentHelp("The directory to save.", valueName: "dir"))
    var path: String

    @Option(name: .long, help: "The cache key (any characters, at most 512).")
    var key: String

    @Flag(name: .long, help: "Replace an existing entry with the same key.")
    var overwrite = false

    @OptionGroup var format: TarballFormatOptions
    @OptionGroup var cache: CacheDirectoryOptions
    @OptionGroup var eviction: EvictionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let command = CacheCommands.Save(
            path: path, key: key, cacheDirectory: cache.directory, overwrite: overwrite, tarball: format.options,
            eviction: eviction.policy)
        let context = output.context
        try await context.run { () throws(StoreError) in try await command.run(context) }.finish()
    }
}
