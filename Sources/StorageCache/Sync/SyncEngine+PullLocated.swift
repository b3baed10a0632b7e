import Foundation
import Hashing
import S3
import Tarball

#if canImport(Glibc)
    import Glibc
#endif

extension SyncEngine {
    /// Restores a format-2 manifest: the snapshot (when it has one and `useSnapshot`) extracted into staging, the
    /// pack ranges changed after it fetched with parallel ranged GETs (adjacent ranges merged), small files
    /// without a location from `storage/` when there is no snapshot; every file assembled in staging and checked
    /// against its whole-file SHA-256 before the swap.
    func restoreLocated(_ manifest: Manifest, into destination: String, useSnapshot: Bool) async throws(SyncError) {
        let packsPrefix = location.packsPrefix
        var ranges: [PackRange] = []
        var chunkLists: [String: [ChunkList.Chunk]] = [:]
        for entry in manifest.files where entry.kind == .file {
            if let pack = entry.pack { ranges.append(pack) }
            if let list = entry.chunks {
                do throws(ManifestError) {
                    let chunks = try list.chunks(fileSize: entry.size)
                    chunkLists[entry.path] = chunks
                    ranges += chunks.map(\.location)
                } catch {
                    throw SyncError(.corrupted, error.message)
                }
            }
        }
        if let outside = ranges.first(where: { !$0.key.hasPrefix(packsPrefix) }) {
            throw SyncError(.corrupted, "the manifest names a pack outside \(packsPrefix): \(outside.key)")
        }
        let snapshot = useSnapshot ? manifest.snapshot : nil
        let fromObjects = manifest.files.filter {
            $0.kind == .file && $0.pack == nil && $0.chunks == nil && snapshot == nil
        }

        let parent = (destination as NSString).deletingLastPathComponent
        let parentPath = parent.isEmpty ? "." : parent
        try Self.makeDirectories(parentPath)
        let download = try Self.lockedDownloadDirectory(beside: destination, in: parentPath)
        defer { download.remove() }
        let windows = PackWindows(covering: ranges, in: download.path)
        let archive = download.path + "/snapshot.tar.zst"
        var objectPaths: [String: String] = [:]
        for (index, entry) in fromObjects.enumerated() { objectPaths[entry.path] = download.path + "/o\(index)" }

        // One list of GETs, the snapshot first so the longest transfer starts first.
        enum Fetch: Sendable {
            case snapshot(String)
            case window(PackWindows.Window)
            case object(String, String)
        }
        var fetches: [Fetch] = snapshot.map { [.snapshot($0.key)] } ?? []
        fetches += windows.windows.map(Fetch.window)
        fetches += fromObjects.map { .object(location.key(forRelativePath: $0.path), objectPaths[$0.path] ?? "") }
        let bucket = location.bucket
        let client = self.client
        do throws(S3Error) {
            _ = try await forEachConcurrently(fetches, limit: options.concurrency) { fetch throws(S3Error) in
                switch fetch {
                case .snapshot(let key):
                    try await client.downloadFile(bucket: bucket, key: key, to: archive)
                case .window(let window):
                    let range = window.range.offset...(window.range.end - 1)
                    let head = try await client.getObject(
                        bucket: bucket, key: window.key, toFile: window.path, options: S3GetOptions(range: range))
                    _ = head
                    let got = (try? FileManager.default.attributesOfItem(atPath: window.path)[.size] as? Int64) ?? -1
                    guard got == window.range.length else {
                        throw S3Error(
                            code: .integrity,
                            message: "s3://\(bucket)/\(window.key) is shorter than the manifest says")
                    }
                case .object(let key, let path):
                    try await client.downloadFile(bucket: bucket, key: key, to: path)
                }
            }
        } catch {
            if error.code == .notFound || error.code == .integrity || error.status == 416 {
                throw SyncError(.corrupted, "the manifest names an object that is missing: \(error.message)")
            }
            throw SyncError(s3: error, doing: "restoring from s3://\(bucket)/\(location.root)")
        }

        let entries = manifest.files
        let assemble: (String) throws(TarballError) -> Void = { root throws(TarballError) in
            try Self.assemble(
                entries, at: root, windows: windows, chunks: chunkLists, objects: objectPaths)
        }
        if let snapshot {
            do throws(TarballError) {
                _ = try TarballReader(keepExcluded: options.excludes).extract(
                    archive: archive, into: destination, expectedSHA256: snapshot.sha256, verify: assemble)
            } catch {
                throw SyncError(.corrupted, error.message)
            }
            return
        }
        let staging: StagedReplacement
        do { staging = try StagedReplacement(destination: destination) } catch { throw SyncError(.io, error.message) }
        do throws(TarballError) {
            try assemble(staging.path)
            try staging.commit(keepExcluded: options.excludes)
        } catch {
            staging.discard()
            throw SyncError(error.code == .io ? .io : .corrupted, error.message)
        }
    }

    /// Turns the tree at `root` (a snapshot's, or empty) into exactly `entries`: removes what they do not name,
    /// writes pack-located and chunked files from the downloaded windows, moves per-file objects in, creates
    /// directories and links, sets modes and times, then checks every entry (kind, size, SHA-256, target).
    static func assemble(
        _ entries: [ManifestEntry], at root: String, windows: PackWindows, chunks: [String: [ChunkList.Chunk]],
        objects: [String: String]
    ) throws(TarballError) {
        let byPath = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var ancestors = Set<String>()
        for entry in entries {
            var prefix = ""
            for component in entry.path.split(separator: "/").dropLast() {
                prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
                ancestors.insert(prefix)
            }
        }
        // 1. Remove what the entries do not name, links (made again last) and kinds that differ.
        try prune(root, relative: "", byPath: byPath, ancestors: ancestors)
        // 2. Directories, then files, then links, so nothing is written through a link.
        for entry in entries {
            let dir = entry.kind == .directory ? entry.path : (entry.path as NSString).deletingLastPathComponent
            if !dir.isEmpty {
                do {
                    try FileManager.default.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
                } catch {
                    throw TarballError(code: .io, message: "cannot create \(dir): \(error.localizedDescription)")
                }
            }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for entry in entries where entry.kind == .file {
            let path = root + "/" + entry.path
            if let object = objects[entry.path] {
                unlink(path)
                guard rename(object, path) == 0 else {
                    throw TarballError(
                        code: .io, message: "cannot move \(entry.path) into place: \(String(cString: strerror(errno)))")
                }
                continue
            }
            let pieces: [(PackRange, Int64)]
            if let pack = entry.pack {
                pieces = [(pack, 0)]
            } else if let list = chunks[entry.path] {
                var offset: Int64 = 0
                pieces = list.map { chunk in
                    defer { offset += chunk.location.length }
                    return (chunk.location, offset)
                }
            } else {
                continue  // in the snapshot
            }
            unlink(path)
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else {
                throw TarballError(
                    code: .io, message: "cannot create \(entry.path): \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            do throws(PackWindows.ReadError) {
                for (range, offset) in pieces { try windows.copy(range, to: fd, at: offset, buffer: buffer) }
            } catch {
                throw TarballError(code: .corrupted, message: "\(entry.path): \(error.message)")
            }
        }
        for entry in entries {
            let path = root + "/" + entry.path
            switch entry.kind {
            case .symlink:
                guard symlink(entry.target ?? "", path) == 0 else {
                    throw TarballError(
                        code: .io,
                        message: "cannot create the symlink \(entry.path): \(String(cString: strerror(errno)))")
                }
            case .file, .directory:
                chmod(path, mode_t(entry.mode & 0o1777))
            }
        }
        for entry in entries.reversed() where entry.kind != .symlink {
            setModificationTime(root + "/" + entry.path, entry.mtime)
        }
        try verifyTree(at: root, matches: entries)
    }

    /// Removes, below `root/relative`, every path that is not an entry or an entry's ancestor directory, every
    /// symlink, and every path whose kind differs from its entry's.
    private static func prune(
        _ root: String, relative: String, byPath: [String: ManifestEntry], ancestors: Set<String>
    ) throws(TarballError) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(root + "/" + path, &info) == 0 else { continue }
            let type = info.st_mode & S_IFMT
            let keep: Bool
            if let entry = byPath[path] {
                keep = (entry.kind == .file && type == S_IFREG) || (entry.kind == .directory && type == S_IFDIR)
            } else {
                keep = ancestors.contains(path) && type == S_IFDIR
            }
            if !keep {
                do { try FileManager.default.removeItem(atPath: root + "/" + path) } catch {
                    throw TarballError(code: .io, message: "cannot remove \(path): \(error.localizedDescription)")
                }
            } else if type == S_IFDIR {
                try prune(root, relative: path, byPath: byPath, ancestors: ancestors)
            }
        }
    }
}
