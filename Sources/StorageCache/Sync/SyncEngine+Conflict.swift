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
        let stem = location.conflictsPrefix + "\(base + 1)-\(stamp)-\(SyncLocation.randomTag())"
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

extension SyncEngine {
    /// After a conflict found only at commit time (a lost race), this push's uploads may have replaced per-file
    /// objects that the winning manifest names with other content, and added objects it does not name. Puts the
    /// winner's bytes back (from its snapshot, verified against its manifest) and removes the extra objects, so
    /// the winner's per-file copy stays whole. Failures are warnings.
    func repairAfterLostRace(uploaded: [ManifestEntry], winner: RemoteManifest?, warnings: inout [String]) async {
        guard let winner, !uploaded.isEmpty else { return }
        let named = winner.manifest.entriesByPath
        let replaced = uploaded.filter { entry in named[entry.path].map { $0.sha256 != entry.sha256 } ?? false }
        let extra = uploaded.filter { named[$0.path] == nil }.map { location.key(forRelativePath: $0.path) }
        if !extra.isEmpty {
            do {
                _ = try await client.deleteObjects(bucket: location.bucket, keys: extra)
            } catch {
                warnings.append("could not remove \(extra.count) objects the refused push wrote: \(error.description)")
            }
        }
        guard !replaced.isEmpty else { return }
        let scratch = NSTemporaryDirectory() + "storage-cache-repair-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do throws(SyncError) {
            // The snapshot is independent of the per-file objects; without one the pull fails verification.
            _ = try await with { $0.expectedBaseGeneration = nil }.pull(into: scratch + "/tree")
            _ = try await upload(replaced.compactMap { named[$0.path] }, from: scratch + "/tree")
            warnings.append(
                "put back \(replaced.count) objects of generation \(winner.manifest.generation) the refused push had replaced"
            )
        } catch {
            warnings.append(
                "generation \(winner.manifest.generation)'s objects for \(replaced.count) files may hold the refused "
                    + "push's bytes (\(error.message)); its snapshot is intact and pulls verify every file")
        }
    }
}
