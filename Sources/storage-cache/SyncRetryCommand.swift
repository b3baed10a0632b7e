import ArgumentParser
import Foundation
import Logging
import S3
import StorageCache

/// `storage-cache sync retry`: retry every push in the pending queue.
struct SyncRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Retry every failed push in the pending queue; exits 1 while any remain.")

    @Option(help: "State directory holding the pending queue (INPUT_STATE-DIR).")
    var stateDir: String?

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @Flag(help: "Log each request to stderr.")
    var verbose = false

    @Option(help: "Profile of the shared AWS config and credentials files (default $AWS_PROFILE).")
    var profile: String?

    @Option(help: "Send every retry to this endpoint URL instead of the one recorded (the service moved).")
    var endpoint: String?

    func run() async throws {
        try await SyncRetry.run(stateDir: stateDir, json: json, verbose: verbose, profile: profile, endpoint: endpoint)
    }
}

/// Retries the pending queue: each entry is pushed again with credentials from the environment's chain now;
/// successes leave the queue, failures stay with one more attempt counted.
enum SyncRetry {
    struct Outcome: Encodable {
        var id: String
        var localPath: String
        var location: String
        var succeeded: Bool
        var generation: Int?
        var attempts: Int
        var error: String?
    }

    struct Report: Encodable {
        var retried: Int
        var succeeded: Int
        var remaining: Int
        var results: [Outcome]
    }

    static func run(
        stateDir: String?, json: Bool, verbose: Bool, profile: String?, endpoint: String? = nil
    ) async throws {
        try await SyncCLI.run(json: json) { () throws(SyncCommandFailure) in
            let environment = SyncCLI.environment(profile: profile)
            var flags = SyncSettingsFlags()
            flags.stateDirectory = stateDir
            let directory: String
            do throws(InputError) {
                directory = try SyncSettings.resolveStateDirectory(flags: flags, environment: environment)
            } catch {
                throw SyncCommandFailure(error)
            }
            let queue = PendingQueue(directory: directory)
            let entries: [PendingEntry]
            do throws(SyncError) {
                entries = try queue.entries()
            } catch {
                throw SyncCommandFailure(error)
            }
            let logger = SyncCLI.logger(verbose: verbose)
            var outcomes: [Outcome] = []
            for entry in entries {
                let outcome = await retry(
                    entry, endpoint: endpoint, queue: queue, environment: environment, logger: logger)
                outcomes.append(outcome)
                if !json {
                    if outcome.succeeded {
                        printLine(
                            "retried push of \(entry.localPath) to \(outcome.location): ok, generation "
                                + "\(outcome.generation ?? 0)")
                    } else {
                        printLine(
                            "retried push of \(entry.localPath) to \(outcome.location): failed again "
                                + "(attempt \(outcome.attempts)): \(outcome.error ?? "")")
                    }
                }
            }
            let remaining = (try? queue.entries().count) ?? outcomes.filter { !$0.succeeded }.count
            let succeeded = outcomes.filter(\.succeeded).count
            if json {
                SyncCLI.printJSON(
                    Report(retried: outcomes.count, succeeded: succeeded, remaining: remaining, results: outcomes))
            } else if entries.isEmpty {
                printLine("no pending failures in \(queue.path)")
            } else {
                printLine("\(succeeded) of \(outcomes.count) pending pushes succeeded; \(remaining) remain")
            }
            if remaining > 0 {
                var failure = SyncCommandFailure(
                    message: "\(remaining) pending pushes remain in \(queue.path)", exitCode: 1, kind: "pending")
                failure.reportedInJSON = true
                throw failure
            }
        }
    }

    private static func retry(
        _ entry: PendingEntry, endpoint: String?, queue: PendingQueue, environment: [String: String], logger: Logger
    ) async -> Outcome {
        var entry = entry
        if let endpoint { entry.endpoint = endpoint }
        let location =
            "s3://\(entry.bucket)/\(entry.prefix)/\(entry.agentIdentity)/"
            + "\(SyncLocation.sanitize(repo: entry.repo))/"
        func failed(_ message: String) -> Outcome {
            let message = SyncCLI.redact(message)
            do throws(SyncError) {
                try queue.noteFailure(id: entry.id, error: message)
            } catch {
                SyncCLI.printWarning("could not update the pending queue: \(error.message)")
            }
            return Outcome(
                id: entry.id, localPath: entry.localPath, location: location, succeeded: false, generation: nil,
                attempts: entry.attempts + 1, error: message)
        }
        let settings: SyncSettings
        do throws(InputError) {
            settings = try entry.settings(stateDirectory: queue.directory)
        } catch {
            return failed(error.description)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: entry.localPath, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            return failed("\(entry.localPath) is no longer a directory")
        }
        let client: S3Client
        do throws(SyncCommandFailure) {
            client = try SyncCLI.makeClient(settings: settings, environment: environment, logger: logger)
        } catch {
            return failed(error.message)
        }
        let engine = SyncEngine(
            client: client, location: settings.location, options: settings.syncOptions(), logger: logger)
        do throws(SyncError) {
            let result = try await engine.push(from: entry.localPath)
            for warning in result.warnings { SyncCLI.printWarning(warning) }
            do throws(SyncError) {
                try queue.remove(id: entry.id)
            } catch {
                SyncCLI.printWarning("pushed, but could not update the pending queue: \(error.message)")
            }
            return Outcome(
                id: entry.id, localPath: entry.localPath, location: location, succeeded: true,
                generation: result.generation, attempts: entry.attempts, error: nil)
        } catch {
            return failed(error.message)
        }
    }
}
