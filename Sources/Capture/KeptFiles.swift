#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Descriptors of a database's files (main file, `-wal`, `-shm`) opened beside an SQLite connection on them.
///
/// POSIX record locks belong to the process, and closing any descriptor of a file drops all of the process's
/// locks on it, SQLite's read locks included: the read transaction would silently stop protecting its snapshot.
/// So every descriptor stays open until ``closeAll()``, which runs after the connection is closed.
final class KeptFiles: @unchecked Sendable {
    private var current: [String: Int32] = [:]
    private var retired: [Int32] = []

    /// A read-only descriptor of `path` (opened once), or `nil` when it cannot be opened. A kept descriptor whose
    /// file was removed or replaced since is retired and `path` opened again.
    func descriptor(_ path: String) -> Int32? {
        if let fd = current[path] {
            if Self.names(fd, path) { return fd }
            retired.append(fd)
            current[path] = nil
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        current[path] = fd
        return fd
    }

    /// Whether the descriptor kept for `path` (if any) still names the file at `path`; `true` when none is kept.
    func isCurrent(_ path: String) -> Bool {
        guard let fd = current[path] else { return true }
        return Self.names(fd, path)
    }

    /// Whether `fd` is the file at `path` (same device and inode, still linked).
    private static func names(_ fd: Int32, _ path: String) -> Bool {
        var held = stat()
        var named = stat()
        guard fstat(fd, &held) == 0, lstat(path, &named) == 0 else { return false }
        return held.st_dev == named.st_dev && held.st_ino == named.st_ino && held.st_nlink > 0
    }

    /// Closes every descriptor; call only once no connection in this process uses the files.
    func closeAll() {
        for fd in Array(current.values) + retired { close(fd) }
        current = [:]
        retired = []
    }
}
