import ArgumentParser
import Foundation
import StorageCache

/// `storage-cache sync push --path DIR …`: upload new and changed files, commit a manifest, delete removed objects.
struct SyncPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push a storage directory to S3. A failure is recorded in the pending queue for `sync retry`.")

    @OptionGroup var options: SyncSettingsOptions

    @Flag(help: "Print what would be uploaded and deleted; change nothing (not even the pending queue).")
    var dryRun = false

    @Option(help: "Paths listed per kind in the dry-run plan.")
    var planPaths = 20

    func run() async throws {
        try await SyncCLI.run(json: options.json) { () throws(SyncCommandFailure) in
            let (settings, environment) = try SyncCLI.resolve(options)
            let path = try SyncPath.requireDirectory(settings.storagePath)
            let logger = SyncCLI.logger(verbose: options.verbose)
            for warning in settings.warnings { logger.warning("\(warning)") }
            let client = try SyncCLI.makeClient(settings: settings, environment: environment, logger: logger)
            var syncOptions = settings.syncOptions()
            syncOptions.dryRun = dryRun
            let engine = SyncEngine(client: client, location: settings.location, options: syncOptions, logger: logger)
            let target = SyncCLI.describe(settings.location)
            let progress = SyncProgress(
                dryRun ? "planning push of \(path) to \(target)" : "pushing \(path) to \(target)")
            let result: PushResult
            do throws(SyncError) {
                result = try await engine.push(from: path)
                await progress.finish()
            } catch {
                await progress.finish()
                throw recordFailure(error, settings: settings, path: path)
            }
            if !dryRun { clearPending(settings: settings, path: path) }
            report(result, path: path, target: target)
        }
    }

    /// Records a retryable failure in the pending queue (never on a dry run) and returns the failure to report.
    private func recordFailure(_ error: SyncError, settings: SyncSettings, path: String) -> SyncCommandFailure {
        var failure = SyncCommandFailure(error)
        failure.message = "push of \(path) to \(SyncCLI.describe(settings.location)) failed: \(error.message)"
        guard !dryRun, SyncExitCode.isRetryable(error.code) else { return failure }
        let queue = PendingQueue(directory: settings.stateDirectory)
        do throws(SyncError) {
            let entry = try queue.record(
                PendingEntry(failedPush: settings, localPath: path, error: SyncCLI.redact(error.message)))
            SyncCLI.printNote(
                "recorded in the pending queue \(queue.path) (attempt \(entry.attempts)); "
                    + "run `storage-cache sync --retry-pending` to retry")
        } catch {
            SyncCLI.printWarning("could not record the failure in the pending queue: \(error.message)")
        }
        return failure
    }

    /// A successful push supersedes a pending entry for the same directory and location.
    private func clearPending(settings: SyncSettings, path: String) {
        let queue = PendingQueue(directory: settings.stateDirectory)
        guard FileManager.default.fileExists(atPath: queue.path) else { return }
        let key = PendingEntry(failedPush: settings, localPath: path, error: "").key
        do throws(SyncError) {
            let removed = try queue.update { entries in
                let before = entries.count
                entries.removeAll { $0.key == key }
                return before - entries.count
            }
            if removed > 0 { SyncCLI.printNote("removed the pending failure of this push from the queue") }
        } catch {
            SyncCLI.printWarning("could not update the pending queue: \(error.message)")
        }
    }

    private func report(_ result: PushResult, path: String, target: String) {
        for warning in result.warnings { SyncCLI.printWarning(warning) }
        let uploads = result.plan.uploads.map(\.path)
        let deletes = result.plan.deletes
        if options.json {
            SyncCLI.printJSON(
                PushJSON(
                    generation: result.generation, committed: result.committed, dryRun: result.dryRun,
                    snapshotWritten: result.snapshotWritten, uploadedFiles: result.uploadedFiles,
                    uploadedBytes: result.uploadedBytes, deletedObjects: result.deletedObjects, files: result.files,
                    bytes: result.bytes, warnings: result.warnings.map(SyncCLI.redact), seconds: result.seconds,
                    objectsWritten: result.objectsWritten, packBytes: result.packBytes,
                    plan: result.dryRun
                        ? .init(
                            uploads: uploads.count, uploadBytes: result.plan.uploadBytes, deletes: deletes.count,
                            uploadPaths: Array(uploads.prefix(planPaths)), deletePaths: Array(deletes.prefix(planPaths))
                        )
                        : nil))
            return
        }
        if result.dryRun {
            printLine("dry run: push of \(path) to \(target) (current generation \(result.generation))")
            printLine(
                "  would upload \(uploads.count) files (\(result.plan.uploadBytes) bytes, "
                    + "\(SyncCLI.formatBytes(result.plan.uploadBytes))) and delete \(deletes.count) objects; "
                    + "tree: \(result.files) files, \(result.bytes) bytes")
            for upload in uploads.prefix(planPaths) { printLine("  upload \(upload)") }
            if uploads.count > planPaths { printLine("  … and \(uploads.count - planPaths) more uploads") }
            for delete in deletes.prefix(planPaths) { printLine("  delete \(delete)") }
            if deletes.count > planPaths { printLine("  … and \(deletes.count - planPaths) more deletes") }
            printLine("  nothing was changed")
            return
        }
        let state =
            result.committed
            ? "committed generation \(result.generation)" : "up to date at generation \(result.generation)"
        printLine(
            "pushed \(path) to \(target): \(state); uploaded \(result.uploadedFiles) files "
                + "(\(SyncCLI.formatBytes(result.uploadedBytes))), deleted \(result.deletedObjects) objects; "
                + "tree \(result.files) files, \(SyncCLI.formatBytes(result.bytes))"
                + (result.snapshotWritten ? "; snapshot written" : "") + " in \(SyncCLI.formatSeconds(result.seconds))")
    }

    struct PushJSON: Encodable {
        struct Plan: Encodable {
            var uploads: Int
            var uploadBytes: Int64
            var deletes: Int
            var uploadPaths: [String]
            var deletePaths: [String]
        }
        var generation: Int
        var committed: Bool
        var dryRun: Bool
        var snapshotWritten: Bool
        var uploadedFiles: Int
        var uploadedBytes: Int64
        var deletedObjects: Int
        var files: Int
        var bytes: Int64
        var warnings: [String]
        var seconds: Double
        /// Objects written (per-file, pack, snapshot, manifest and its kept copy); `uploadedBytes` counts them all.
        var objectsWritten: Int
        var packBytes: Int64
        var plan: Plan?
    }
}

/// Checks of the local storage path.
enum SyncPath {
    /// The storage path, which must be given and name an existing directory.
    static func requireDirectory(_ path: String?) throws(SyncCommandFailure) -> String {
        guard let path else {
            throw SyncCommandFailure(
                InputError(
                    input: "storage-path", flag: "--path", message: "is required (set --path or INPUT_STORAGE-PATH)"))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SyncCommandFailure(
                InputError(input: "storage-path", flag: "--path", message: "\(path) is not an existing directory"))
        }
        return absolute(path)
    }

    /// The storage path for a pull: given, and not an existing non-directory.
    static func requireDestination(_ path: String?) throws(SyncCommandFailure) -> String {
        guard let path else {
            throw SyncCommandFailure(
                InputError(
                    input: "storage-path", flag: "--path", message: "is required (set --path or INPUT_STORAGE-PATH)"))
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw SyncCommandFailure(
                InputError(input: "storage-path", flag: "--path", message: "\(path) exists and is not a directory"))
        }
        return absolute(path)
    }

    /// `path` made absolute against the current directory, so a later retry from elsewhere finds it.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
