import ArgumentParser

@main
struct StorageCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-cache",
        abstract: "Keep an AI agent's storage directory alive across ephemeral hosts.",
        discussion: """
            Exit codes: 0 success, 1 operation failed, 2 invalid input, 3 not found (a miss with \
            --fail-on-cache-miss), 4 access denied, 5 data integrity (a corrupted archive).
            """,
        version: "0.1.0",
        // One line per subcommand, so branches adding commands merge cleanly.
        subcommands: [
            SaveCommand.self,
            RestoreCommand.self,
            CacheCommand.self,
            ArchiveCommand.self,
            S3Command.self,
            SyncCommand.self,
            StatusCommand.self,
            RunCommand.self,
            DoctorCommand.self,
        ]
    )
}
