/// The layout of a local cache directory:
///
/// ```
/// <root>/lock          flock'd by every process that changes the index
/// <root>/index.json    the entries (CacheIndex), rewritten atomically under the lock
/// <root>/entries/      one archive per entry, named <sha256(key)>-<sequence>.tar.<ext>
/// <root>/tmp/          archives and index copies being written, named <kind>-<pid>-<random>
/// ```
public struct CacheDirectory: Sendable, Equatable {
    /// The cache directory itself.
    public let root: String

    public init(root: String) {
        self.root = FileSystem.absolute(root)
    }

    /// `$XDG_CACHE_HOME/storage-cache`, else `$HOME/.cache/storage-cache` (the default cache directory).
    public static func defaultRoot(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return xdg + "/storage-cache"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return home + "/.cache/storage-cache"
    }

    /// The lock file.
    package var lockPath: String { root + "/lock" }
    /// The index file.
    package var indexPath: String { root + "/index.json" }
    /// The directory holding the archives.
    package var entriesPath: String { root + "/entries" }
    /// The directory for files being written.
    package var temporaryPath: String { root + "/tmp" }

    /// The path of the archive named `file`.
    package func entryPath(_ file: String) -> String { entriesPath + "/" + file }

    /// Creates the directory and its parts when missing.
    package func prepare() throws(StoreError) {
        try FileSystem.makeDirectories(entriesPath)
        try FileSystem.makeDirectories(temporaryPath)
    }
}
