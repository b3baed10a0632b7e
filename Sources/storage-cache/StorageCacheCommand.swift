import ArgumentParser
import Foundation

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

    /// Parses and runs the command; a usage error (unknown flag, missing value) exits 2 as the README says,
    /// not ArgumentParser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot(SyncCommand.rewrite(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code.rawValue == 64 {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
