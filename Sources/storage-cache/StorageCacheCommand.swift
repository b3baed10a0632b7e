import ArgumentParser

@main
struct StorageCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-cache",
        abstract: "Keep an AI agent's storage directory alive across ephemeral hosts.",
        version: "0.1.0",
        subcommands: [
            S3Command.self,
            SyncCommand.self,
            StatusCommand.self,
        ]
    )

    static func main() async {
        await main(SyncCommand.rewrite(Array(CommandLine.arguments.dropFirst())))
    }
}
