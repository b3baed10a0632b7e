/// What a push must do to make the S3 copy equal a scanned tree: which files to upload and which objects to delete.
///
/// "Changed" is decided by kind, size, SHA-256, mode and link target, never by mtime alone.
public struct SyncPlan: Sendable, Equatable {
    /// Regular files whose objects must be written (new or changed content).
    public var uploads: [ManifestEntry]
    /// Relative paths whose objects must be deleted after the manifest commit.
    public var deletes: [String]
    /// Entries whose object is already current.
    public var unchanged: Int
    /// Entries whose metadata (mode, mtime, links, directories) changed without new content: no upload, but a new
    /// manifest.
    public var metadataChanges: Int

    /// Bytes the uploads will send.
    public var uploadBytes: Int64 { uploads.reduce(0) { $0 + $1.size } }

    /// Whether the push has nothing to do at all (no new manifest is needed either).
    public var isEmpty: Bool { uploads.isEmpty && deletes.isEmpty && metadataChanges == 0 }

    /// The plan from `local` to the state `remote` describes. `remoteObjects` are the relative paths of objects
    /// found under `storage/` when there is no manifest (a tree written by another tool), so that a first push
    /// also removes what the local tree no longer has.
    public static func make(local: [ManifestEntry], remote: Manifest?, remoteObjects: [String] = []) -> SyncPlan {
        let remoteByPath = remote?.entriesByPath ?? [:]
        var uploads: [ManifestEntry] = []
        var unchanged = 0
        var metadataChanges = 0
        var localFiles = Set<String>()
        for entry in local {
            if entry.kind == .file { localFiles.insert(entry.path) }
            guard let previous = remoteByPath[entry.path] else {
                if entry.kind == .file { uploads.append(entry) } else { metadataChanges += 1 }
                continue
            }
            if entry.kind == .file
                && (previous.kind != .file || previous.size != entry.size || previous.sha256 != entry.sha256)
            {
                uploads.append(entry)
            } else if previous.withoutLocation == entry {
                unchanged += 1
            } else if entry.sameContent(as: previous) && entry.mtime != previous.mtime {
                // Same content and mode: only the mtime moved (a fresh checkout). Keep the object; record the time.
                unchanged += 1
                metadataChanges += 1
            } else {
                metadataChanges += 1
            }
        }
        var deletes: [String] = []
        let localPaths = Set(local.map(\.path))
        for previous in remote?.files ?? [] where previous.kind == .file && !localFiles.contains(previous.path) {
            deletes.append(previous.path)
        }
        if remote == nil {
            deletes.append(contentsOf: remoteObjects.filter { !localFiles.contains($0) })
        } else {
            for previous in remote?.files ?? [] where previous.kind != .file && !localPaths.contains(previous.path) {
                metadataChanges += 1
            }
        }
        return SyncPlan(
            uploads: uploads, deletes: deletes.sorted(), unchanged: unchanged, metadataChanges: metadataChanges)
    }
}
