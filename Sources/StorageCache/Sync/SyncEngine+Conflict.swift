import Foundation
import S3

extension SyncEngine {
    /// The generation `remote` holds when it is past ``SyncOptions/expectedBaseGeneration``, else `nil` (no base
    /// given, nothing stored, or not newer).
    func generationPastBase(_ remote: RemoteManifest?) -> Int? {
        guard let base = options.expectedBaseGeneration, let current = remote?.manifest.generation, current > base
        else { return nil }
        return current
    }

    /// Keeps the manifest a conflicting push would have committed under `<root>/conflicts/`, with a snapshot of
    /// `directory` beside it (when no file was skipped), and logs the conflict. Failures are warnings: the newer
    /// generation is current either way.
    func recordConflict(
        entries: [ManifestEntry], directory: String, current: Int, skippedAny: Bool, warnings: inout [String]
    ) async -> SyncConflict {
        let base = options.expectedBaseGeneration ?? 0
        let now = Date()
        let stamp = Self.conflictStamp(now)
        let stem = location.conflictsPrefix + "\(base + 1)-\(stamp)"
        var conflict = SyncConflict(baseGeneration: base, currentGeneration: current, rejectedGeneration: base + 1)
        var manifest = Manifest(
            generation: base + 1, createdAt: now, toolVersion: Self.toolVersion, parentGeneration: base,
            files: entries)
        if options.snapshot && !skippedAny {
            var put = options.putOptions
            put.contentType = "application/zstd"
            put.checksumSHA256 = false
            put.knownSHA256 = nil
            let uploader = SnapshotUploader(
                client: client, bucket: location.bucket, key: stem + ".tar.zst", excludes: options.excludes,
                putOptions: put)
            do {
                let uploaded = try await uploader.upload(directory: directory)
                manifest.snapshot = ManifestSnapshot(
                    key: uploaded.key, sha256: uploaded.sha256, size: uploaded.size, generation: manifest.generation)
                conflict.snapshotKey = uploaded.key
            } catch {
                warnings.append("could not keep the rejected tree in \(stem).tar.zst: \(error.message)")
            }
        }
        do {
            var put = options.putOptions
            put.contentType = "application/json"
            put.storageClass = nil
            let bytes = try manifest.encoded()
            try await client.putObject(
                bucket: location.bucket, key: stem + ".json", body: .bytes(bytes), options: put)
            conflict.recordKey = stem + ".json"
        } catch {
            warnings.append("could not keep the rejected manifest in \(stem).json: \(error)")
        }
        warnings.append(conflict.message)
        logger.warning("\(conflict.message)")
        return conflict
    }

    /// `20261201T102800Z` (UTC, sortable, no `:` in a key).
    static func conflictStamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }
}
