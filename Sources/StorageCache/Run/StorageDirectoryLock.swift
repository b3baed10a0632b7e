#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on a lock file beside a storage directory, held for the whole of a `storage-cache run`, so
/// two hosts (or two services) on one directory never interleave restores, syncs and saves.
///
/// The file lives beside the directory, not in it (a restore swaps the directory), as `.<name>.storage-cache.lock`,
/// and holds the holder's pid for the message a second `run` prints. The descriptor is close-on-exec, so the child
/// never inherits the lock, and the kernel drops it when the holder dies: a killed host never leaves it locked.
public final class StorageDirectoryLock: Sendable {
    /// The lock file.
    public let path: String
    private let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// The lock file of `directory`: `<parent>/.<name>.storage-cache.lock`.
    public static func lockPath(for directory: String) -> String {
        var trimmed = Substring(directory)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let parent: Substring
        let name: Substring
        if let slash = trimmed.lastIndex(of: "/") {
            parent = slash == trimmed.startIndex ? "/" : trimmed[..<slash]
            name = trimmed[trimmed.index(after: slash)...]
        } else {
            parent = "."
            name = trimmed
        }
        return (parent == "/" ? "" : String(parent)) + "/." + name + ".storage-cache.lock"
    }

    /// Takes the lock of `directory` without waiting. Throws ``RunError/Code/locked`` naming the holder's pid when
    /// another process has it.
    public static func acquire(for directory: String) throws(RunError) -> StorageDirectoryLock {
        let path = lockPath(for: directory)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunError(.lockFailed, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            let holder = readHolder(fd)
            close(fd)
            if error == EWOULDBLOCK {
                throw RunError(
                    .locked,
                    "\(directory) is in use by another storage-cache run (pid \(holder.map(String.init) ?? "unknown"), "
                        + "lock file \(path)); stop it first or use another storage directory")
            }
            throw RunError(.lockFailed, "cannot lock \(path): \(String(cString: strerror(error)))")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return StorageDirectoryLock(path: path, fd: fd)
    }

    private static func readHolder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[..<n], as: UTF8.self).trimmingSpaces()
        return Int32(text)
    }
}
