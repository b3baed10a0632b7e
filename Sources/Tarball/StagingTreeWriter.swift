import CArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Creates checked entries under the (fresh, private) staging root with `*at()` calls relative to directory
/// descriptors it opened itself, one path component at a time with `O_NOFOLLOW | O_DIRECTORY`.
///
/// Safe by construction: every directory it descends into was opened without following a link, files are
/// created with `O_CREAT | O_EXCL | O_NOFOLLOW`, symlinks are created and never traversed, and hard links are made
/// with `linkat(…, 0)` from a directory reached the same way. So no write can go through a link whatever the
/// archive holds; ``EntryPolicy`` decides what may be extracted at all.
///
/// It keeps the descriptors of the directories on the path of the last entry (a sorted archive enters each
/// directory once) and sets directory modes and times last, deepest first, since creating children changes them.
final class StagingTreeWriter {
    /// What a directory entry asked for, applied by ``finish()``.
    private struct DirectoryFixup {
        var mode: mode_t
        var chmod: Bool
        var times: (timespec, timespec)?
    }

    /// `fds[0]` is the root; `fds[i + 1]` is the directory `names[i]` in `fds[i]`.
    private var fds: [Int32]
    private var names: [[UInt8]] = []
    /// Directory entries by path (components joined with `/`).
    private var directories: [[UInt8]: DirectoryFixup] = [:]
    /// The process umask when it could be read (applied by the kernel to the modes we create with); nil means
    /// unknown, and every created file gets an explicit `fchmod`.
    private let umask: mode_t?

    /// Opens the root directory `root` (absolute path) for writing entries under it.
    init(root: [UInt8]) throws(TarballError) {
        let fd = Posix.withCString(root) { open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else {
            throw TarballError(
                code: .io,
                message: "cannot open the staging directory \(String(pathBytes: root)): \(Posix.describe(errno))")
        }
        fds = [fd]
        umask = Self.readUmask()
    }

    deinit {
        for fd in fds { close(fd) }
    }

    // MARK: Entries

    /// Creates the directory `components` (mode and times applied by ``finish()``); an existing directory is
    /// kept, anything else at that path is replaced.
    func makeDirectory(_ components: [[UInt8]], path: [UInt8], mode: mode_t, times: (timespec, timespec)?)
        throws(TarballError)
    {
        let parent = try directory(components.dropLast(), shown: path)
        let name = components[components.count - 1]
        let created = (mode | 0o700) & 0o777
        let kept = try Self.retryingOverExisting(
            parent, name, keepDirectory: true, shown: path, onRemovedDirectory: removed
        ) { Posix.withCString(name) { mkdirat(parent, $0, created) } }
        let applied = kept ? nil : umask.map { created & ~$0 }
        directories[path] = DirectoryFixup(mode: mode, chmod: applied != mode, times: times)
    }

    /// Creates the regular file `components` and returns its open descriptor (write-only). Anything already at
    /// that path is replaced, an empty directory included.
    func createFile(_ components: [[UInt8]], path: [UInt8], mode: mode_t) throws(TarballError) -> Int32 {
        let parent = try directory(components.dropLast(), shown: path)
        let name = components[components.count - 1]
        var fd: Int32 = -1
        try Self.retryingOverExisting(parent, name, keepDirectory: false, shown: path, onRemovedDirectory: removed) {
            fd = Posix.withCString(name) {
                openat(parent, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0o777)
            }
            return fd >= 0 ? 0 : -1
        }
        return fd
    }

    /// Writes `count` bytes at `offset` of the open file `fd`.
    func write(_ fd: Int32, _ bytes: UnsafeRawPointer, count: Int, offset: Int64, shown: [UInt8])
        throws(TarballError)
    {
        var done = 0
        while done < count {
            let n = pwrite(fd, bytes + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.failure(shown, errno)
            }
            done += n
        }
    }

    /// Starts writing back `count` bytes at `offset` of `fd` without waiting (best effort): large files go to
    /// disk while the rest is extracted, so the final `syncfs` waits for less.
    func startWriteback(_ fd: Int32, offset: Int64, count: Int64) {
        #if os(Linux)
            _ = sc_start_writeback(fd, offset, count)
        #endif
    }

    /// Completes a file written through ``createFile(_:path:mode:)`` up to `written` bytes: its `size` (longer
    /// when a sparse entry ends with a hole), mode (when the umask took bits away) and times, then closes it.
    func finishFile(
        _ fd: Int32, written: Int64, size: Int64, mode: mode_t, times: (timespec, timespec)?, shown: [UInt8]
    ) throws(TarballError) {
        defer { close(fd) }
        if written < size, ftruncate(fd, off_t(size)) != 0 { throw Self.failure(shown, errno) }
        if umask.map({ (mode & 0o777) & ~$0 != mode }) ?? true, fchmod(fd, mode) != 0 {
            throw Self.failure(shown, errno)
        }
        if var times {
            let status = withUnsafePointer(to: &times) {
                $0.withMemoryRebound(to: timespec.self, capacity: 2) { futimens(fd, $0) }
            }
            if status != 0 { throw Self.failure(shown, errno) }
        }
    }

    /// Creates the symlink `components` to `target` (never followed) with `times`.
    func makeSymlink(_ components: [[UInt8]], path: [UInt8], target: [UInt8], times: (timespec, timespec)?)
        throws(TarballError)
    {
        let parent = try directory(components.dropLast(), shown: path)
        let name = components[components.count - 1]
        try Self.retryingOverExisting(parent, name, keepDirectory: false, shown: path, onRemovedDirectory: removed) {
            Posix.withCString(target) { cTarget in Posix.withCString(name) { symlinkat(cTarget, parent, $0) } }
        }
        if var times {
            let status = withUnsafePointer(to: &times) { pair in
                pair.withMemoryRebound(to: timespec.self, capacity: 2) { spec in
                    Posix.withCString(name) { utimensat(parent, $0, spec, AT_SYMLINK_NOFOLLOW) }
                }
            }
            if status != 0 { throw Self.failure(path, errno) }
        }
    }

    /// Makes `components` a hard link to the already extracted regular file `target` (components).
    func makeHardLink(_ components: [[UInt8]], path: [UInt8], target: [[UInt8]]) throws(TarballError) {
        // The target's directory, reached without touching the open path (it is usually elsewhere).
        var targetDirectory = try Self.duplicate(fds[0], shown: path)
        defer { close(targetDirectory) }
        for component in target.dropLast() {
            let next = Posix.withCString(component) {
                openat(targetDirectory, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard next >= 0 else { throw Self.failure(path, errno) }
            close(targetDirectory)
            targetDirectory = next
        }
        let targetName = target[target.count - 1]
        let parent = try directory(components.dropLast(), shown: path)
        let name = components[components.count - 1]
        let source = targetDirectory
        try Self.retryingOverExisting(parent, name, keepDirectory: false, shown: path, onRemovedDirectory: removed) {
            Posix.withCString(targetName) { cTarget in
                Posix.withCString(name) { linkat(source, cTarget, parent, $0, 0) }
            }
        }
    }

    /// Opens the hard link `components` just made, to write the data its entry carries (rare: pax hard links
    /// with content).
    func reopenHardLink(_ components: [[UInt8]], path: [UInt8]) throws(TarballError) -> Int32 {
        let parent = try directory(components.dropLast(), shown: path)
        let fd = Posix.withCString(components[components.count - 1]) {
            openat(parent, $0, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        }
        guard fd >= 0 else { throw Self.failure(path, errno) }
        return fd
    }

    /// Applies directory modes and times, deepest first, and closes every descriptor but the root's.
    func finish() throws(TarballError) {
        for path in directories.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).reversed() {
            guard let fixup = directories[path] else { continue }
            let components = path.split(separator: UInt8(ascii: "/")).map { Array($0) }
            let fd = try directory(components[...], shown: path, create: false)
            if fixup.chmod, fchmod(fd, fixup.mode) != 0 { throw Self.failure(path, errno) }
            if var times = fixup.times {
                let status = withUnsafePointer(to: &times) {
                    $0.withMemoryRebound(to: timespec.self, capacity: 2) { futimens(fd, $0) }
                }
                if status != 0 { throw Self.failure(path, errno) }
            }
        }
        directories = [:]
        truncate(to: 0)
    }

    // MARK: Directories

    /// The descriptor of the directory `components` under the root, opening (and with `create`, making with the
    /// default mode) what is missing; the open path becomes exactly this directory's.
    private func directory(_ components: ArraySlice<[UInt8]>, shown: [UInt8], create: Bool = true)
        throws(TarballError) -> Int32
    {
        var common = 0
        let start = components.startIndex
        while common < names.count, common < components.count, names[common] == components[start + common] {
            common += 1
        }
        truncate(to: common)
        for component in components.dropFirst(common) {
            let fd = try openDirectory(fds[fds.count - 1], component, create: create, shown: shown)
            fds.append(fd)
            names.append(component)
        }
        return fds[fds.count - 1]
    }

    private func truncate(to depth: Int) {
        while names.count > depth {
            close(fds.removeLast())
            names.removeLast()
        }
    }

    private func openDirectory(_ parent: Int32, _ name: [UInt8], create: Bool, shown: [UInt8])
        throws(TarballError) -> Int32
    {
        let fd = Posix.withCString(name) { cName -> Int32 in
            let fd = openat(parent, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            // A parent the archive did not list: made like libarchive does (0777 less the umask), no times.
            guard fd < 0, errno == ENOENT, create, mkdirat(parent, cName, 0o777) == 0 else { return fd }
            return openat(parent, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard fd >= 0 else {
            let code = errno
            let reason = code == ENOTDIR || code == ELOOP ? "\(String(pathBytes: name)) is not a directory" : nil
            throw Self.failure(shown, code, reason: reason)
        }
        return fd
    }

    /// Drops the fixups of a directory that was replaced (it was empty: no descendants to drop).
    private func removed(_ parent: Int32, _ name: [UInt8]) {
        var path = names.reduce([UInt8]()) { Posix.join($0, $1) }
        path = Posix.join(path, name)
        directories[path] = nil
    }

    // MARK: Helpers

    /// Runs `create` (0 or -1 with errno); on EEXIST removes what is in the way (an empty directory included,
    /// unless `keepDirectory` and it is one: then it returns true) and runs it once more.
    @discardableResult
    private static func retryingOverExisting(
        _ parent: Int32, _ name: [UInt8], keepDirectory: Bool, shown: [UInt8],
        onRemovedDirectory: (Int32, [UInt8]) -> Void, _ create: () -> Int32
    ) throws(TarballError) -> Bool {
        if create() == 0 { return false }
        guard errno == EEXIST else { throw failure(shown, errno) }
        var info = stat()
        guard Posix.withCString(name, { fstatat(parent, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw failure(shown, errno)
        }
        let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
        if isDirectory && keepDirectory { return true }
        guard Posix.withCString(name, { unlinkat(parent, $0, isDirectory ? AT_REMOVEDIR : 0) }) == 0 else {
            let code = errno
            let reason =
                code == ENOTEMPTY || code == EEXIST ? "a non-empty directory of the archive is in the way" : nil
            throw failure(shown, code, reason: reason)
        }
        if isDirectory { onRemovedDirectory(parent, name) }
        guard create() == 0 else { throw failure(shown, errno) }
        return false
    }

    private static func duplicate(_ fd: Int32, shown: [UInt8]) throws(TarballError) -> Int32 {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { throw failure(shown, errno) }
        return copy
    }

    static func failure(_ path: [UInt8], _ code: Int32, reason: String? = nil) -> TarballError {
        TarballError(
            code: .io, message: "cannot extract \(String(pathBytes: path)): \(reason ?? Posix.describe(code))")
    }

    /// The umask from `/proc/self/status` (reading it with umask(2) would change it for other threads).
    private static func readUmask() -> mode_t? {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let text = buffer[0..<n]
        let key = Array("\nUmask:".utf8)
        guard let start = text.indices.first(where: { text[$0...].starts(with: key) }) else { return nil }
        var value: mode_t = 0
        var digits = 0
        for byte in text[(start + key.count)...] {
            if byte == UInt8(ascii: "\t") || byte == UInt8(ascii: " ") { continue }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else { break }
            value = value * 8 + mode_t(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return digits > 0 ? value & 0o777 : nil
    }
}
