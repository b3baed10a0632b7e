/// One entry of a ``Manifest``.
public struct ManifestEntry: Codable, Sendable, Equatable, Hashable {
    /// What the entry is.
    public enum Kind: String, Codable, Sendable {
        /// A regular file, stored as an object under `storage/`.
        case file
        /// A symbolic link (recorded only; no object).
        case symlink
        /// An empty directory (recorded only; no object).
        case directory
    }

    /// The path relative to the storage root, `/`-separated.
    public var path: String
    /// What it is.
    public var kind: Kind
    /// Content bytes (0 for links and directories).
    public var size: Int64
    /// Permission bits (`0o644`, …), without setuid/setgid.
    public var mode: UInt32
    /// Modification time, seconds since 1970 (fractional).
    public var mtime: Double
    /// Lower-case hex SHA-256 of the content (files only).
    public var sha256: String?
    /// The link target (symlinks only).
    public var target: String?
    /// Format 2: the whole file's bytes in a pack (a small file changed after the snapshot was taken).
    public var pack: PackRange?
    /// Format 2: the file's chunks (a file at or over the chunk threshold); such a file has no object under
    /// `storage/` and is not in the snapshot.
    public var chunks: ChunkList?

    public init(
        path: String, kind: Kind = .file, size: Int64, mode: UInt32, mtime: Double, sha256: String? = nil,
        target: String? = nil
    ) {
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
        self.mtime = mtime
        self.sha256 = sha256
        self.target = target
    }

    /// The entry without where its bytes live (what a scan of the tree gives).
    public var withoutLocation: ManifestEntry {
        var entry = self
        entry.pack = nil
        entry.chunks = nil
        return entry
    }

    /// Whether two entries hold the same content (mtimes are not compared: CI checkouts make them meaningless).
    public func sameContent(as other: ManifestEntry) -> Bool {
        kind == other.kind && size == other.size && sha256 == other.sha256 && target == other.target
            && mode == other.mode
    }

    /// A relative path that stays inside the root: not empty, no leading `/`, no `.`/`..`/empty components,
    /// no NUL or control characters.
    public static func isSafeRelativePath(_ path: String) -> Bool {
        // One pass over the bytes (a manifest check runs it for every entry): a component is refused when it is
        // empty, `.` or `..`.
        var length = 0
        var dots = 0
        func refused() -> Bool { length == 0 || (length == dots && dots <= 2) }
        for byte in path.utf8 {
            if byte < 0x20 { return false }
            if byte == UInt8(ascii: "/") {
                if refused() { return false }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return !refused()
    }
}
