import Foundation
import Logging
import S3
import StorageCache
import Testing

/// Trees and hosts for the freshness tests: a "host" is a coordinator over its own storage directory, a local
/// cache directory (possibly shared) and the one S3 location.
enum Freshness {
    /// Writes a small tree whose content says `version` (and a file only that version has).
    static func writeTree(_ root: String, version: Int) throws {
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root + "/notes", withIntermediateDirectories: true)
        try Data("generation \(version)\n".utf8).write(to: URL(fileURLWithPath: root + "/state.txt"))
        try Data(String(repeating: "v\(version) ", count: 500).utf8)
            .write(to: URL(fileURLWithPath: root + "/notes/log.txt"))
        try Data("only in \(version)\n".utf8).write(to: URL(fileURLWithPath: root + "/notes/only-\(version).txt"))
    }

    /// The `state.txt` of a tree (`generation N`).
    static func version(_ root: String) -> String? {
        (try? String(contentsOfFile: root + "/state.txt", encoding: .utf8))?.trimmingCharacters(in: .newlines)
    }

    static func syncSettings(bucket: String, dir: String, endpoint: String = S3TestEnvironment.endpointURL) throws
        -> SyncSettings
    {
        var flags = SyncSettingsFlags()
        flags.bucket = bucket
        flags.endpoint = endpoint
        flags.repo = "owner/fresh"
        flags.stateDirectory = dir + "/state"
        return try SyncSettings.resolve(flags: flags, environment: ["HOME": dir])
    }

    /// A host: `storage` saved under `key` (falling back on `restoreKeys`), the local cache `cache` (`nil`: no
    /// primary), S3 through `endpoint`.
    static func host(
        bucket: String, dir: String, storage: String, cache: String?, key: String, restoreKeys: [String] = [],
        order: RestoreOrder = .newest, endpoint: String = S3TestEnvironment.endpointURL,
        failureMode: S3FailureMode = .warn
    ) throws -> CacheCoordinator {
        let sync = try syncSettings(bucket: bucket, dir: dir, endpoint: endpoint)
        let client = try S3TestEnvironment.makeClient(endpoint: endpoint)
        let s3 = S3Backup(settings: sync) {
            SyncEngine(client: client, location: sync.location, options: sync.syncOptions(), logger: Logger(label: "t"))
        }
        var settings = CacheSettings(
            storagePath: storage, key: key, restoreKeys: restoreKeys, primary: cache == nil ? .none : .local,
            cacheDirectory: cache, s3: sync, s3FailureMode: failureMode, repo: "owner/fresh")
        settings.restoreOrder = order
        let store: (any TarballStore)? = cache.map { LocalTarballStore(directory: $0) }
        return CacheCoordinator(settings: settings, primary: store, s3: s3, logger: Logger(label: "t"))
    }

    /// An engine on the test location (a witness: reads what S3 holds).
    static func engine(bucket: String, dir: String) throws -> SyncEngine {
        let sync = try syncSettings(bucket: bucket, dir: dir)
        return SyncEngine(
            client: try S3TestEnvironment.makeClient(), location: sync.location, options: sync.syncOptions(),
            logger: Logger(label: "t"))
    }

    /// The keys under `<root>/conflicts/`.
    static func conflictKeys(bucket: String, dir: String) async throws -> [String] {
        let engine = try engine(bucket: bucket, dir: dir)
        return try await engine.client.listObjects(bucket: bucket, prefix: engine.location.conflictsPrefix).objects
            .map(\.key).sorted()
    }
}
