import Foundation
import Hashing
import S3
import Tarball

#if canImport(Glibc)
    import Glibc
#endif

extension SyncEngine {
    /// Replaces `destination` with the tree the current manifest names, verified file by file.
    ///
    /// The snapshot is used when it belongs to the manifest's generation (one GET), else the per-file objects
    /// (concurrent GETs). Without a manifest, every object under `storage/` is restored by listing. The result is
    /// built in a staging directory and swapped in, so any failure leaves `destination` as it was. An empty
    /// location leaves `destination` untouched and reports ``PullResult/Source/none``.
    public func pull(into destination: String) async throws(SyncError) -> PullResult {
        let clock = ContinuousClock()
        let started = clock.now
        var warnings: [String] = []
        guard let remote = try await readManifest() else {
            return try await pullByListing(into: destination, started: started)
        }
        let manifest = remote.manifest
        try Self.checkLinks(manifest.files)
        if manifest.locatesEntries {
            return try await pullLocated(manifest, into: destination, started: started)
        }
        if options.snapshot, let snapshot = manifest.snapshot, snapshot.generation == manifest.generation {
            do {
                try await restoreSnapshot(snapshot, manifest: manifest, into: destination)
                return PullResult(
                    source: .snapshot, generation: manifest.generation, files: manifest.files.count,
                    bytes: manifest.totalBytes, warnings: warnings, seconds: (clock.now - started).seconds)
            } catch {
                warnings.append("snapshot not usable (\(error.message)); restoring per-file objects instead")
                logger.warning("snapshot not usable (\(error.message)); restoring per-file objects instead")
            }
        }
        try await restoreObjects(manifest.files, into: destination, verify: true)
        return PullResult(
            source: .objects, generation: manifest.generation, files: manifest.files.count,
            bytes: manifest.totalBytes, warnings: warnings, seconds: (clock.now - started).seconds)
    }

    /// Pulls a format-2 manifest: with its snapshot when it has one (and snapshots are on), else from packs and
    /// `storage/`; a snapshot that does not verify is a warning, then the pull goes without it.
    private func pullLocated(_ manifest: Manifest, into destination: String, started: ContinuousClock.Instant)
        async throws(SyncError) -> PullResult
    {
        var warnings: [String] = []
        let clock = ContinuousClock()
        if options.snapshot, manifest.snapshot != nil {
            do {
                try await restoreLocated(manifest, into: destination, useSnapshot: true)
                return PullResult(
                    source: .snapshot, generation: manifest.generation, files: manifest.files.count,
                    bytes: manifest.totalBytes, warnings: warnings, seconds: (clock.now - started).seconds)
            } catch {
                guard error.code == .corrupted else { throw error }
                warnings.append("snapshot not usable (\(error.message)); restoring per-file objects instead")
                logger.warning("snapshot not usable (\(error.message)); restoring per-file objects instead")
            }
        }
        try await restoreLocated(manifest, into: destination, useSnapshot: false)
        return PullResult(
            source: .objects, generation: manifest.generation, files: manifest.files.count,
            bytes: manifest.totalBytes, warnings: warnings, seconds: (clock.now - started).seconds)
    }

    /// Refuses manifests whose entries lie below a symlink entry (a write through a link).
    static func checkLinks(_ entries: [ManifestEntry]) throws(SyncError) {
        let links = Set(entries.filter { $0.kind == .symlink }.map(\.path))
        guard !links.isEmpty else { return }
        for entry in entries {
            var prefix = ""
            for component in entry.path.split(separator: "/").dropLast() {
                prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
                if links.contains(prefix) {
                    throw SyncError(.corrupted, "the manifest puts \(entry.path) below the symlink \(prefix)")
                }
            }
        }
    }

    private func restoreSnapshot(_ snapshot: ManifestSnapshot, manifest: Manifest, into destination: String)
        async throws(SyncError)
    {
        let parent = (destination as NSString).deletingLastPathComponent
        let parentPath = parent.isEmpty ? "." : parent
        do {
            try FileManager.default.createDirectory(atPath: parentPath, withIntermediateDirectories: true)
        } catch {
            throw SyncError(.io, "cannot create \(parent): \(error.localizedDescription)")
        }
        // The download goes into a directory beside the destination, locked while in use, so that what a killed
        // pull left behind is found and removed by the next one (and never a live pull's download).
        let download = try Self.lockedDownloadDirectory(beside: destination, in: parentPath)
        defer { download.remove() }
        let archive = download.path + "/snapshot.tar.zst"
        do {
            try await client.downloadFile(bucket: location.bucket, key: snapshot.key, to: archive)
        } catch {
            throw SyncError(s3: error, doing: "downloading the snapshot s3://\(location.bucket)/\(snapshot.key)")
        }
        let expected = manifest.files
        do throws(TarballError) {
            let reader = TarballReader(keepExcluded: options.excludes)
            _ = try reader.extract(archive: archive, into: destination, expectedSHA256: snapshot.sha256) {
                staging throws(TarballError) in
                try Self.verifyTree(at: staging, matches: expected)
            }
        } catch {
            throw SyncError(.corrupted, error.message)
        }
    }

    /// Checks that the tree at `root` holds exactly `entries` (kind, size, SHA-256, link target). A file whose
    /// digest is over its chunk digests (``ChunkList/chunkDigestsKind``) is read once for them: every chunk must
    /// match the list, and the digest over them the entry.
    static func verifyTree(at root: String, matches entries: [ManifestEntry]) throws(TarballError) {
        var cache = FileHashCache()
        try FileHashCache.seedChunkDigests(&cache, root: root, entries: entries)
        let scanned: ScannedTree
        do {
            scanned = try TreeScanner().scan(root: root, cache: &cache)
        } catch {
            throw TarballError(code: .corrupted, message: "cannot verify the restored tree: \(error.message)")
        }
        let want = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for entry in scanned.entries {
            guard let expected = want[entry.path] else {
                throw TarballError(
                    code: .corrupted, message: "the snapshot holds \(entry.path), which the manifest does not name")
            }
            guard entry.kind == expected.kind, entry.size == expected.size, entry.sha256 == expected.sha256,
                entry.target == expected.target
            else {
                throw TarballError(
                    code: .checksumMismatch, message: "\(entry.path) in the snapshot differs from the manifest")
            }
        }
        if scanned.entries.count != want.count || !scanned.skipped.isEmpty {
            let have = Set(scanned.entries.map(\.path))
            let missing = want.keys.filter { !have.contains($0) }.sorted().prefix(3)
            throw TarballError(code: .corrupted, message: "the snapshot lacks \(missing.joined(separator: ", "))")
        }
    }

    /// Downloads `entries` into a staging tree and swaps it in. With `verify`, every file's SHA-256 must match.
    func restoreObjects(_ entries: [ManifestEntry], into destination: String, verify: Bool) async throws(SyncError) {
        let staging: StagedReplacement
        do { staging = try StagedReplacement(destination: destination) } catch { throw SyncError(.io, error.message) }
        do throws(SyncError) {
            let root = staging.path
            // Directories first, then files (concurrently), then symlinks last, so nothing is written through a link.
            for entry in entries {
                let parentPath = (entry.path as NSString).deletingLastPathComponent
                let dir = entry.kind == .directory ? entry.path : parentPath
                if !dir.isEmpty { try Self.makeDirectories(root + "/" + dir) }
            }
            let files = entries.filter { $0.kind == .file }
            let bucket = location.bucket
            let location = self.location
            let client = self.client
            do throws(S3Error) {
                _ = try await forEachConcurrently(files, limit: options.concurrency) { entry throws(S3Error) in
                    let path = root + "/" + entry.path
                    try await client.downloadFile(
                        bucket: bucket, key: location.key(forRelativePath: entry.path), to: path)
                    if verify, let sha = entry.sha256 {
                        let digest: (digest: [UInt8], size: Int64)
                        do throws(FileDigest.ReadError) { digest = try FileDigest.sha256(path: path) } catch {
                            throw S3Error(code: .localFile, message: error.description)
                        }
                        guard Hex.encode(digest.digest) == sha, digest.size == entry.size else {
                            throw S3Error(
                                code: .integrity,
                                message:
                                    "s3://\(bucket)/\(location.key(forRelativePath: entry.path)) does not match the manifest's SHA-256"
                            )
                        }
                    }
                }
            } catch {
                if error.code == .notFound {
                    throw SyncError(.corrupted, "the manifest names an object that is missing: \(error.message)")
                }
                throw SyncError(s3: error, doing: "restoring from s3://\(bucket)/\(location.storagePrefix)")
            }
            for entry in entries {
                let path = root + "/" + entry.path
                switch entry.kind {
                case .symlink:
                    guard symlink(entry.target ?? "", path) == 0 else {
                        throw SyncError(
                            .io, "cannot create the symlink \(entry.path): \(String(cString: strerror(errno)))")
                    }
                case .file, .directory:
                    chmod(path, mode_t(entry.mode & 0o1777))
                }
            }
            // Times last: creating children moves a directory's mtime.
            for entry in entries.reversed() where entry.kind != .symlink {
                Self.setModificationTime(root + "/" + entry.path, entry.mtime)
            }
            do { try staging.commit(keepExcluded: options.excludes) } catch { throw SyncError(.io, error.message) }
        } catch {
            staging.discard()
            throw error
        }
    }

    private func pullByListing(into destination: String, started: ContinuousClock.Instant) async throws(SyncError)
        -> PullResult
    {
        let objects = try await listStoredPaths()
        guard !objects.isEmpty else {
            return PullResult(
                source: .none, generation: nil, files: 0, bytes: 0,
                warnings: ["nothing stored at s3://\(location.bucket)/\(location.root)/ yet"],
                seconds: (ContinuousClock.now - started).seconds)
        }
        var entries: [ManifestEntry] = []
        var warnings = [
            "no manifest at s3://\(location.bucket)/\(location.manifestKey): restored the \(objects.count) objects "
                + "found under storage/ (written by another tool?); their checksums cannot be verified"
        ]
        for object in objects {
            guard ManifestEntry.isSafeRelativePath(object.path) else {
                warnings.append("skipped the object with an unsafe path \(object.path.debugDescription)")
                continue
            }
            entries.append(
                ManifestEntry(path: object.path, size: object.size, mode: 0o644, mtime: Date().timeIntervalSince1970))
        }
        try await restoreObjects(entries, into: destination, verify: false)
        return PullResult(
            source: .listing, generation: nil, files: entries.count, bytes: entries.reduce(0) { $0 + $1.size },
            warnings: warnings, seconds: (ContinuousClock.now - started).seconds)
    }

    static func makeDirectories(_ path: String) throws(SyncError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SyncError(.io, "cannot create \(path): \(error.localizedDescription)")
        }
    }

    static func setModificationTime(_ path: String, _ mtime: Double) {
        let seconds = mtime.rounded(.down)
        var times = [
            timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2),  // UTIME_OMIT: keep atime
            timespec(tv_sec: Int(seconds), tv_nsec: Int((mtime - seconds) * 1e9)),
        ]
        utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// A download directory `.<name>.sc-snapshot-<random>` beside a pull's destination, held under `flock`.
    struct DownloadDirectory {
        var path: String
        var descriptor: Int32

        func remove() {
            try? FileManager.default.removeItem(atPath: path)
            close(descriptor)
        }
    }

    /// Removes the download directories (or, from older versions, archive files) that killed pulls into
    /// `destination` left, skipping any another live pull still locks; then creates and locks a new one.
    static func lockedDownloadDirectory(beside destination: String, in parent: String) throws(SyncError)
        -> DownloadDirectory
    {
        let stem = "." + (destination as NSString).lastPathComponent + ".sc-snapshot-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        where name.hasPrefix(stem) || name.hasPrefix("." + stem) {
            let path = parent + "/" + name
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { try? FileManager.default.removeItem(atPath: path) }
            close(fd)
        }
        let path = parent + "/" + stem + "\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(path, 0o700) == 0 else {
            throw SyncError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let message = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            rmdir(path)
            throw SyncError(.io, "cannot lock \(path): \(message)")
        }
        return DownloadDirectory(path: path, descriptor: fd)
    }
}
