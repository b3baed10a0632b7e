import ArgumentParser
import StorageCache

struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Create, extract or list a single tarball (for debugging; no cache involved).",
        subcommands: [CreateCommand.self, ExtractCommand.self, ListCommand.self]
    )

    struct CreateCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Archive a directory.")

        @Option(name: .long, help: ArgumentHelp("The directory to archive.", valueName: "dir"))
        var path: String

        @Option(name: .long, help: ArgumentHelp("The tarball to write.", valueName: "file"))
        var output: String

        @OptionGroup var format: TarballFormatOptions
        @OptionGroup var outputOptions: OutputOptions

        func run() async throws {
            let command = ArchiveCommands.Create(path: path, output: output, tarball: format.options)
            let context = outputOptions.context
            try await context.run { () throws(StoreError) in try await command.run(context) }.finish()
        }
    }

    struct ExtractCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "extract", abstract: "Replace a directory with a tarball's content (safely, atomically).")

        @Option(name: .long, help: ArgumentHelp("The tarball to read.", valueName: "file"))
        var archive: String

        @Option(name: .long, help: ArgumentHelp("The directory to extract into (replaced).", valueName: "dir"))
        var path: String

        @Option(name: .long, help: ArgumentHelp("The SHA-256 the tarball must have.", valueName: "hex"))
        var sha256: String?

        @Flag(
            name: .long, inversion: .prefixedNo,
            help:
                "Flush the extracted tree to disk (syncfs) before swapping it in (default off; the swap is atomic either way)."
        )
        var fsync = false

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let command = ArchiveCommands.Extract(archive: archive, path: path, sha256: sha256, sync: fsync)
            let context = output.context
            try await context.run { () throws(StoreError) in try await command.run(context) }.finish()
        }
    }

    struct ListCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List a tarball's entries.")

        @Option(name: .long, help: ArgumentHelp("The tarball to read.", valueName: "file"))
        var archive: String

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let command = ArchiveCommands.List(archive: archive)
            let context = output.context
            try await context.run { () throws(StoreError) in try await command.run(context) }.finish()
        }
    }
}
