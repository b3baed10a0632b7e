import ArgumentParser
import Foundation
import StorageCache

/// `storage-cache status`: the S3 manifest (one GET) when S3 is configured, and the pending queue.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the S3 copy's manifest and the pending failures.")

    @OptionGroup var options: SyncSettingsOptions

    struct ManifestJSON: Encodable {
        var generation: Int
        var createdAt: Date
        var files: Int
        var bytes: Int64
        var snapshot: Bool
        var toolVersion: String
    }

    struct S3JSON: Encodable {
        var location: String
        var manifest: ManifestJSON?
        var error: String?
    }

    struct PendingJSON: Encodable {
        var id: String
        var operation: String
        var localPath: String
        var location: String
        var endpoint: String?
        var attempts: Int
        var firstFailedAt: Date
        var lastFailedAt: Date
        var lastError: String
    }

    struct StatusJSON: Encodable {
        var s3: S3JSON?
        var stateDirectory: String
        var pending: [PendingJSON]
    }

    func run() async throws {
        try await SyncCLI.run(json: options.json) { () throws(SyncCommandFailure) in
            let environment = SyncCLI.environment(profile: options.target.profile)
            var s3: S3JSON?
            var failure: SyncCommandFailure?
            let stateDirectory: String
            if SyncSettings.isConfigured(flags: options.flags, environment: environment) {
                let settings: SyncSettings
                do throws(InputError) {
                    settings = try SyncSettings.resolve(flags: options.flags, environment: environment)
                } catch {
                    throw SyncCommandFailure(error)
                }
                stateDirectory = settings.stateDirectory
                let logger = SyncCLI.logger(verbose: options.verbose)
                let client = try SyncCLI.makeClient(settings: settings, environment: environment, logger: logger)
                let engine = SyncEngine(client: client, location: settings.location, logger: logger)
                var report = S3JSON(location: SyncCLI.describe(settings.location))
                do throws(SyncError) {
                    if let remote = try await engine.readManifest() {
                        let manifest = remote.manifest
                        report.manifest = ManifestJSON(
                            generation: manifest.generation, createdAt: manifest.createdAt,
                            files: manifest.files.count, bytes: manifest.totalBytes,
                            snapshot: manifest.snapshot?.generation == manifest.generation,
                            toolVersion: manifest.toolVersion)
                    }
                } catch {
                    report.error = SyncCLI.redact(error.message)
                    failure = SyncCommandFailure(error)
                }
                s3 = report
            } else {
                var flags = SyncSettingsFlags()
                flags.stateDirectory = options.stateDir
                do throws(InputError) {
                    stateDirectory = try SyncSettings.resolveStateDirectory(flags: flags, environment: environment)
                } catch {
                    throw SyncCommandFailure(error)
                }
            }
            let queue = PendingQueue(directory: stateDirectory)
            let entries: [PendingEntry]
            do throws(SyncError) {
                entries = try queue.entries()
            } catch {
                throw SyncCommandFailure(error)
            }
            let pending = entries.map { entry in
                PendingJSON(
                    id: entry.id, operation: entry.operation, localPath: entry.localPath,
                    location: "s3://\(entry.bucket)/\(entry.prefix)/\(entry.agentIdentity)/"
                        + "\(SyncLocation.sanitize(repo: entry.repo))/",
                    endpoint: entry.endpoint, attempts: entry.attempts, firstFailedAt: entry.firstFailedAt,
                    lastFailedAt: entry.lastFailedAt, lastError: entry.lastError)
            }
            if options.json {
                SyncCLI.printJSON(StatusJSON(s3: s3, stateDirectory: stateDirectory, pending: pending))
            } else {
                printHuman(s3: s3, queuePath: queue.path, pending: pending)
            }
            if var failure {
                failure.message = "reading the S3 manifest failed: \(failure.message)"
                failure.reportedInJSON = true
                throw failure
            }
        }
    }

    private func printHuman(s3: S3JSON?, queuePath: String, pending: [PendingJSON]) {
        if let s3 {
            printLine("S3: \(s3.location)")
            if let manifest = s3.manifest {
                let time = ISO8601DateFormatter().string(from: manifest.createdAt)
                printLine(
                    "  generation \(manifest.generation), committed \(time), \(manifest.files) files, "
                        + "\(SyncCLI.formatBytes(manifest.bytes)) (\(manifest.bytes) bytes), snapshot "
                        + (manifest.snapshot ? "yes" : "no"))
            } else if s3.error == nil {
                printLine("  no manifest (nothing pushed yet, or written by another tool)")
            }
        } else {
            printLine("S3: not configured (set --bucket or INPUT_S3-BUCKET)")
        }
        if pending.isEmpty {
            printLine("pending failures: none (\(queuePath))")
            return
        }
        printLine("pending failures: \(pending.count) (\(queuePath)); retry with `storage-cache sync --retry-pending`")
        for entry in pending {
            printLine(
                "  \(entry.operation) \(entry.localPath) → \(entry.location): \(entry.attempts) attempts, last "
                    + "\(ISO8601DateFormatter().string(from: entry.lastFailedAt)): \(entry.lastError)")
        }
    }
}
