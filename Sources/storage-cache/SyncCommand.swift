import ArgumentParser
import StorageCache

/// `storage-cache sync`: push a storage directory to S3, pull it back, retry failed pushes.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Push a storage directory to S3 (RFC-019 layout), pull it back, retry failed pushes.",
        subcommands: [SyncPushCommand.self, SyncPullCommand.self, SyncRetryCommand.self]
    )

    @Flag(help: "Retry every push in the pending queue: `sync --retry-pending [retry options]` is `sync retry`.")
    var retryPending = false

    func run() async throws {
        guard retryPending else { throw CleanExit.helpRequest(self) }
        try await SyncRetry.run(stateDir: nil, json: false, verbose: false, profile: nil)
    }

    /// `sync … --retry-pending …` → `sync retry …`, so the retry options (`--state-dir`, `--json`) work with it.
    /// (Options declared on `sync` itself would be claimed by `sync` from every subcommand's arguments.)
    static func rewrite(_ arguments: [String]) -> [String] {
        guard arguments.first == "sync", let index = arguments.firstIndex(of: "--retry-pending") else {
            return arguments
        }
        var rewritten = arguments
        rewritten.remove(at: index)
        if rewritten.count < 2 || rewritten[1] != SyncRetryCommand.configuration.commandName {
            rewritten.insert(SyncRetryCommand.configuration.commandName!, at: 1)
        }
        return rewritten
    }
}
