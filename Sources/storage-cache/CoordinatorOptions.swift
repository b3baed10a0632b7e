import ArgumentParser
import Foundation
import StorageCache

/// The flags of `restore` and `save` beyond the local cache's: primary selection and the S3 copy. Each overrides
/// its `INPUT_*` variable (`INPUT_S3-BUCKET`, …), so the action passes inputs through the environment.
struct CoordinatorOptions: ParsableArguments, S3SettingsFields {
    @Option(
        help:
            "Primary cache: auto, local, github or none (INPUT_PRIMARY; default auto = the GitHub Actions cache on a runner, else the local cache)."
    )
    var primary: String?

    @Option(
        help:
            "What restore and save may do, for every store: read-write, read (never writes), write-only (never restores) or off (INPUT_CACHE-MODE)."
    )
    var cacheMode: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Write through to / fall back on S3 (INPUT_S3-BACKUP; default false). Off: no S3 request at all.")
    var s3Backup: Bool?

    @Option(help: "What an S3 failure during save does: warn (a warning and a pending record) or fail.")
    var s3FailureMode: String?

    @Option(help: "S3 bucket (INPUT_S3-BUCKET; required with --s3-backup).")
    var bucket: String?

    @OptionGroup var target: S3TargetOptions

    @Option(help: "Most bytes a push holds, e.g. 500M (INPUT_MAX-SYNC-SIZE).")
    var maxSyncSize: String?

    @Option(help: "State directory: pending queue, hash cache (INPUT_STATE-DIR).")
    var stateDir: String?

    /// The S3 flags; `excludes` are the save command's `--exclude`.
    func syncFlags(excludes: [String] = []) -> SyncSettingsFlags {
        var flags = s3SettingsFlags()
        flags.excludes = excludes
        return flags
    }

    /// The process environment, with `AWS_PROFILE` set to `--profile` when given.
    var environment: [String: String] { SyncCLI.environment(profile: target.profile) }

    /// The reporter for a command with these output options.
    static func reporter(_ output: OutputOptions) -> StepReporter {
        StepReporter(runner: RunnerIO(), output: output.context.output)
    }
}
