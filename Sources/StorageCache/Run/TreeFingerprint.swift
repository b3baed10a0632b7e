import Hashing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A digest of a tree's metadata (every path's type, mode, size, mtime, ctime and inode), to tell without reading
/// any file whether something may have changed. It never reads content, so thousands of files cost only `lstat`s.
///
/// Equal fingerprints mean nothing was written, created, removed or renamed (a write updates mtime and ctime);
/// different fingerprints may still hold the same content (a file rewritten with the same bytes).
public struct TreeFingerprint: Sendable, Equatable {
    /// The SHA-256 of the metadata listing, hex.
    public let digest: String
    /// Entries seen.
    public let entries: Int

    /// Fingerprints the tree at `root`; a missing root has its own fingerprint.
    public static func of(_ root: String) -> TreeFingerprint {
        var hasher = SHA256Hasher()
        var count = 0
        walk(root, relative: "", hasher: &hasher, count: &count)
        return TreeFingerprint(digest: Hex.encode(hasher.finalize()), entries: count)
    }

    private static func walk(_ absolute: String, relative: String, hasher: inout SHA256Hasher, count: inout Int) {
        var st = stat()
        guard lstat(absolute, &st) == 0 else {
            hasher.update(Array("\(relative)\0missing\n".utf8))
            return
        }
        count += 1
        let line =
            "\(relative)\0\(st.st_mode)\0\(st.st_size)\0\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
            + "\0\(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)\0\(st.st_ino)\n"
        hasher.update(Array(line.utf8))
        guard (st.st_mode & S_IFMT) == S_IFDIR, let directory = opendir(absolute) else { return }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(directory)
        for name in names.sorted() {
            walk(
                absolute + "/" + name, relative: relative.isEmpty ? name : relative + "/" + name, hasher: &hasher,
                count: &count)
        }
    }
}
