import ArgumentParser
import StorageCache

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect and prune the local cache directory.",
        subcommands: [ListCommand.self, PruneCommand.self, VerifyCommand.self]
    )

    struct ListCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List cache entries.")

        @OptionGroup var cache: CacheDirectoryOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let command = CacheCommands.List(cacheDirectory: cache.directory)
            let context = output.context
            try await context.run { () throws(StoreError) in try await command.run(context) }.finish()
        }
    }

    struct PruneCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Evict entries unused for longer than --max-age, then the least recently used beyond --max-size.")

        @OptionGroup var eviction: EvictionOptions
        @OptionGroup var cache: CacheDirectoryOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let command = CacheCommands.Prune(cacheDirectory: cache.directory, eviction: eviction.policy)
            let context = output.context
            try await context.run { () throws(StoreError) in try await command.run(context) }.finish()
        }
    }

    struct VerifyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Check every entry's size and SHA-256 (exit 5 when one is damaged).")

        @OptionGroup var cache: CacheDirectoryOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let command = CacheCommands.Verify(cacheDirectory: cache.directory)
            let context = output.context
            try await context.run { () throws(StoreError) in try await command.run(context) }.finish()
        }
    }
}
