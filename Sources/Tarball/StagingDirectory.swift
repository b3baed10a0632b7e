import CArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The staging directory beside a destination, and the atomic swap that puts it in place.
struct StagingDirectory {
    /// Canonical parent of the destination.
    let parent: [UInt8]
    /// The destination's name in `parent`.
    let name: [UInt8]
    /// Absolute path of the staging directory.
    let path: [UInt8]
    private let lockFD: Int32

    private var stagingPrefix: [UInt8] { Array(".".utf8) + name + Array(".sc-staging-".utf8) }
    var destination: [UInt8] { Posix.join(parent, name) }

    /// Resolves `destination` (following it when it is a symlink), creates its parent and takes the lock.
    init(destination: String) throws(TarballError) {
        var target = destination.pathBytes
        if let info = Posix.lstatPath(target), (info.st_mode & S_IFMT) == S_IFLNK, let real = Posix.realPath(target) {
            target = real
        }
        if let info = Posix.lstatPath(target), (info.st_mode & S_IFMT) != S_IFDIR {
            throw TarballError(code: .notADirectory, message: "\(destination) exists and is not a directory")
        }
        let base = Posix.basename(of: target)
        guard !base.isEmpty, base != Array(".".utf8), base != Array("..".utf8), base != Array("/".utf8) else {
            throw TarballError(code: .notADirectory, message: "\(destination) cannot be replaced: name it by its path")
        }
        let rawParent = Posix.dirname(of: target)
        let made = Posix.makeDirectories(rawParent)
        guard made == 0, let parent = Posix.realPath(rawParent) else {
            let code = made != 0 ? made : errno
            throw TarballError(
                code: .io, message: "cannot create the parent of \(destination): \(Posix.describe(code))")
        }
        self.parent = parent
        self.name = base
        self.path = Posix.join(parent, Array(".".utf8) + base + Array(".sc-staging-\(Posix.randomSuffix())".utf8))
        let lockPath = Posix.join(parent, Array(".".utf8) + base + Array(".sc-lock".utf8))
        lockFD = Posix.withCString(lockPath) { open($0, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        guard lockFD >= 0 else {
            throw TarballError(
                code: .io, message: "cannot create the lock \(String(pathBytes: lockPath)): \(Posix.describe(errno))")
        }
        while flock(lockFD, LOCK_EX) != 0 && errno == EINTR {}
    }

    func unlock() {
        flock(lockFD, LOCK_UN)
        close(lockFD)
    }

    /// Removes staging directories (and swapped-out old trees) left by runs that crashed.
    func removeLeftovers() {
        let fd = Posix.withCString(parent) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { return }
        defer { close(fd) }
        let prefix = stagingPrefix
        for (entry, _) in Posix.listDirectory(fd: fd).names where entry.starts(with: prefix) {
            Posix.removeTree(parentFD: fd, name: entry)
        }
    }

    /// Creates the staging directory, private until the swap (see ``applyRootMode()``).
    func create() throws(TarballError) {
        guard Posix.withCString(path, { mkdir($0, 0o700) }) == 0 else {
            throw TarballError(
                code: .io,
                message: "cannot create the staging directory \(String(pathBytes: path)): "
                    + Posix.describe(errno))
        }
    }

    /// Gives the staging root the mode it should have once swapped in: the destination's current mode, 0755 for
    /// a new one. A restore never widens who may read the tree.
    func applyRootMode() {
        var mode: mode_t = 0o755
        if let info = Posix.lstatPath(destination), (info.st_mode & S_IFMT) == S_IFDIR { mode = info.st_mode & 0o7777 }
        _ = Posix.withCString(path) { chmod($0, mode) }
    }

    /// Flushes the file system holding the staging tree.
    func sync() throws(TarballError) {
        let fd = Posix.withCString(path) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw TarballError(code: .io, message: "cannot open \(String(pathBytes: path)): \(Posix.describe(errno))")
        }
        defer { close(fd) }
        #if os(Linux)
            let status = sc_syncfs(fd)
        #else
            let status = fsync(fd)
        #endif
        guard status == 0 else {
            throw TarballError(code: .io, message: "cannot flush the extracted tree: \(Posix.describe(errno))")
        }
    }

    /// Puts the staging tree at the destination atomically; the old tree, if any, is then removed (synchronously:
    /// the caller never returns with the old data still on disk).
    func swapIn() throws(TarballError) {
        let destination = self.destination
        let shown = String(pathBytes: destination)
        if let info = Posix.lstatPath(destination) {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw TarballError(code: .notADirectory, message: "\(shown) exists and is not a directory")
            }
            var status = exchange(path, destination)
            if status != 0, errno == EINVAL || errno == ENOSYS {
                status = fallbackSwap(destination)
            }
            guard status == 0 else {
                throw TarballError(
                    code: .io, message: "cannot swap the extracted tree into \(shown): \(Posix.describe(errno))")
            }
            // The swap is durable before the old tree goes; it is removed before extract returns (a crash in
            // between leaves it under the staging prefix, for the next extraction's removeLeftovers).
            syncParent()
            Posix.removeTree(path: path)
            return
        } else {
            guard renameNoReplace(path, destination) == 0 else {
                throw TarballError(
                    code: .io, message: "cannot move the extracted tree to \(shown): \(Posix.describe(errno))")
            }
        }
        syncParent()
    }

    /// Makes the rename in the parent durable (best effort: a file system may refuse to fsync a directory).
    private func syncParent() {
        let fd = Posix.withCString(parent) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Removes the staging tree after a failure.
    func discard() {
        Posix.removeTree(path: path)
    }

    private func exchange(_ a: [UInt8], _ b: [UInt8]) -> Int32 {
        #if os(Linux)
            return Posix.withCString(a) { ca in
                Posix.withCString(b) { cb in sc_renameat2(AT_FDCWD, ca, AT_FDCWD, cb, SC_RENAME_EXCHANGE) }
            }
        #else
            errno = ENOSYS
            return -1
        #endif
    }

    private func renameNoReplace(_ a: [UInt8], _ b: [UInt8]) -> Int32 {
        #if os(Linux)
            let status = Posix.withCString(a) { ca in
                Posix.withCString(b) { cb in sc_renameat2(AT_FDCWD, ca, AT_FDCWD, cb, SC_RENAME_NOREPLACE) }
            }
            if status == 0 || (errno != EINVAL && errno != ENOSYS) { return status }
        #endif
        return Posix.withCString(a) { ca in Posix.withCString(b) { rename(ca, $0) } }
    }

    /// For file systems without RENAME_EXCHANGE: old tree aside under a staging name, new tree in, and back on
    /// failure. Not atomic (a crash in between leaves no destination, and the old tree under a staging name).
    private func fallbackSwap(_ destination: [UInt8]) -> Int32 {
        let aside = Posix.join(parent, stagingPrefix + Array("old-\(Posix.randomSuffix())".utf8))
        let moved = Posix.withCString(destination) { cd in Posix.withCString(aside) { rename(cd, $0) } }
        guard moved == 0 else { return moved }
        let placed = Posix.withCString(path) { cs in Posix.withCString(destination) { rename(cs, $0) } }
        if placed != 0 {
            let code = errno
            _ = Posix.withCString(aside) { ca in Posix.withCString(destination) { rename(ca, $0) } }
            errno = code
            return placed
        }
        // Leave the old tree where `swapIn` expects it.
        _ = Posix.withCString(aside) { ca in Posix.withCString(path) { rename(ca, $0) } }
        return 0
    }
}
