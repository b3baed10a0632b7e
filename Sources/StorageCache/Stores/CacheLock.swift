#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive advisory lock (`flock`) on a lock file, shared by every process and task using one cache
/// directory. Each acquisition opens its own descriptor, so two tasks in one process exclude each other too.
/// The kernel drops the lock when the holder dies, so a killed process never leaves the cache locked.
package struct CacheLock: Sendable {
    /// The lock file.
    package let path: String

    package init(path: String) {
        self.path = path
    }

    /// Runs `body` while holding the lock. Keep `body` short: other savers and restorers wait for it.
    package func withLock<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(errno: errno, operation: "cannot open lock file", path: path) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw StoreError(errno: errno, operation: "cannot lock", path: path)
        }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }
}
