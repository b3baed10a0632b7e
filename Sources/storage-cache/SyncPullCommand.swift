import ArgumentParser
import Foundation
import StorageCache

/// `storage-cache sync pull --path DIR …`: restore the tree the S3 manifest names (or, without one, every object
/// under `storage/`), verified, swapped into place.
struct SyncPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull", abstract: "Restore a storage directory from S3 (snapshot, per-file objects or listing).")

    @OptionGroup var options: SyncSettingsOptions

    func run() async throws {
        try await SyncCLI.run(json: options.json) { () throws(SyncCommandFailure) in
            let (settings, environment) = try SyncCLI.resolve(options)
            let path = try SyncPath.requireDestination(settings.storagePath)
            let logger = SyncCLI.logger(verbose: options.verbose)
            let client = try SyncCLI.makeClient(settings: settings, environment: environment, logger: logger)
            let engine = SyncEngine(
                client: client, location: settings.location, options: settings.syncOptions(), logger: logger)
            let source = SyncCLI.describe(settings.location)
            let progress = SyncProgress("pulling \(source) into \(path)")
            let result: PullResult
            do throws(SyncError) {
                result = try await engine.pull(into: path)
                await progress.finish()
            } catch {
                await progress.finish()
                var failure = SyncCommandFailure(error)
                failure.message = "pull of \(source) into \(path) failed: \(error.message)"
                throw failure
            }
            for warning in result.warnings { SyncCLI.printWarning(warning) }
            if options.json {
                SyncCLI.printJSON(
                    PullJSON(
                        source: result.source.rawValue, generation: result.generation, files: result.files,
                        bytes: result.bytes, warnings: result.warnings.map(SyncCLI.redact), seconds: result.seconds))
                return
            }
            let generation = result.generation.map { "generation \($0)" } ?? "no manifest"
            printLine(
                "pulled \(source) into \(path): source \(result.source.rawValue), \(generation), "
                    + "\(result.files) files, \(SyncCLI.formatBytes(result.bytes)) in "
                    + SyncCLI.formatSeconds(result.seconds))
        }
    }

    struct PullJSON: Encodable {
        var source: String
        var generation: Int?
        var files: Int
        var bytes: Int64
        var warnings: [String]
        var seconds: Double

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(source, forKey: .source)
            try container.encode(generation, forKey: .generation)  // null without a manifest
            try container.encode(files, forKey: .files)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(warnings, forKey: .warnings)
            try container.encode(seconds, forKey: .seconds)
        }

        enum CodingKeys: String, CodingKey {
            case source, generation, files, bytes, warnings, seconds
        }
    }
}
