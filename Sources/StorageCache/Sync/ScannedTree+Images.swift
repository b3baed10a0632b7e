import Capture

extension ScannedTree {
    /// Adds the databases captured into memory as files (they are not in the scanned staging tree).
    mutating func add(images: [DatabaseImage]) {
        guard !images.isEmpty else { return }
        let paths = Set(images.map(\.path))
        entries.removeAll { paths.contains($0.path) }
        for image in images {
            entries.append(
                ManifestEntry(
                    path: image.path, kind: .file, size: image.size, mode: image.mode, mtime: image.mtime,
                    sha256: image.sha256))
        }
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// Keeps `remote`'s entries for `paths` (databases no consistent copy could be taken of this time) that the
    /// scan lacks, so a push never removes a database's last good state from S3 because it was locked. Only
    /// chunked entries of a format-2 manifest are kept: they never depend on the snapshot this push may rebuild.
    mutating func keep(_ paths: [String], from remote: Manifest?) {
        guard !paths.isEmpty, let remote, remote.locatesEntries else { return }
        let present = Set(entries.map(\.path))
        let stored = remote.entriesByPath
        var added = false
        for path in paths where !present.contains(path) {
            guard let entry = stored[path], entry.kind == .file, entry.chunks != nil else { continue }
            entries.append(entry)
            added = true
        }
        if added { entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) } }
    }
}
