#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps a destination's excluded paths across a restore: before a restored tree is swapped in, every path of
/// the old destination that the exclude patterns match (``ExcludeMatcher`` semantics, as on save) and that the
/// restored tree does not hold itself is added to the staging tree, as `rsync --delete` and `aws s3 sync --delete`
/// leave excluded files alone.
///
/// - Non-directories (files, symlinks, others) are **hard-linked** into the staging tree; directories are created
///   in it with the old mode and times and filled the same way. Where a hard link is refused (another file system
///   mounted inside the tree, `fs.protected_hardlinks`), regular files are copied and symlinks recreated.
/// - The old tree is never modified, so an interruption (even SIGKILL) between the carry-over and the swap leaves
///   the destination as the complete old tree, and the next restore removes the staging tree (unlinking a hard
///   link leaves the original); after the swap the destination is the new tree with the excluded paths. No
///   move-back is needed when the swap fails. Carried files are the same inodes, so a file modified in place
///   until the swap keeps its changes; one created or replaced by rename after the carry-over is not carried.
/// - The restored tree wins: a path it holds is not carried (an excluded directory it holds too is merged).
///   A path below a restored symlink or file is never written.
/// - SQLite companions (`<db>-wal`, `-shm`, `-journal`) are carried only with their database (an excluded
///   database kept as a whole); the companions of a database the restore replaces are left behind with the old
///   tree, so a stale WAL is never applied to a restored database.
public struct ExcludedCarryOver: Sendable {
    /// Which paths of the old destination are kept.
    public let excludes: ExcludeMatcher

    /// Suffixes naming SQLite's companion files of a database.
    public static let companionSuffixes = ["-wal", "-shm", "-journal"]

    /// A carry-over of the paths `excludes` matches.
    public init(excludes: ExcludeMatcher) {
        self.excludes = excludes
    }

    /// A carry-over of the paths `patterns` match.
    public init(patterns: [String]) {
        self.init(excludes: ExcludeMatcher(patterns: patterns))
    }

    /// Adds to the tree at `staging` every excluded path of the tree at `old` that `staging` lacks, and returns
    /// how many entries it added. A missing `old` carries nothing. On failure `old` is as it was and `staging`
    /// may hold part of the carry-over (callers discard it).
    @discardableResult
    public func carry(from old: String, into staging: String) throws(TarballError) -> Int {
        try carry(from: old.pathBytes, into: staging.pathBytes)
    }

    func carry(from old: [UInt8], into staging: [UInt8]) throws(TarballError) -> Int {
        guard !excludes.isEmpty else { return 0 }
        let oldFD = Posix.withCString(old) { open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard oldFD >= 0 else {
            if errno == ENOENT { return 0 }
            throw TarballError(
                code: .io,
                message: "cannot read \(String(pathBytes: old)) to keep its excluded files: \(Posix.describe(errno))")
        }
        defer { close(oldFD) }
        let stagingFD = Posix.withCString(staging) { open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard stagingFD >= 0 else {
            throw TarballError(
                code: .io,
                message: "cannot open the staging tree \(String(pathBytes: staging)): \(Posix.describe(errno))")
        }
        defer { close(stagingFD) }
        let root = CarryTarget(rootFD: stagingFD)
        defer { root.finish() }
        var walk = CarryWalk(excludes: excludes, oldRoot: old)
        try walk.run(oldFD: oldFD, target: root, prefix: [], inherited: false)
        return walk.carried
    }
}

/// One walk of an old tree for ``ExcludedCarryOver``.
private struct CarryWalk {
    let excludes: ExcludeMatcher
    let oldRoot: [UInt8]
    var carried = 0

    init(excludes: ExcludeMatcher, oldRoot: [UInt8]) {
        self.excludes = excludes
        self.oldRoot = oldRoot
    }

    /// Carries the excluded entries of the old directory `oldFD` (at `prefix`) into `target`; with `inherited`
    /// every entry is excluded (the directory itself is).
    mutating func run(oldFD: Int32, target: CarryTarget, prefix: [UInt8], inherited: Bool) throws(TarballError) {
        let (children, listError) = Posix.listDirectory(fd: oldFD)
        if listError != 0 { throw failure("cannot list", prefix, listError) }
        for (name, _) in children {
            let relative = prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name
            guard let info = Self.lstat(oldFD, name) else {
                if errno == ENOENT { continue }  // removed meanwhile
                throw failure("cannot read", relative, errno)
            }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            let excluded = inherited || excludes.matches(String(pathBytes: relative), isDirectory: isDirectory)
            if isDirectory {
                let childFD = Posix.withCString(name) {
                    openat(oldFD, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                guard childFD >= 0 else {
                    // An unreadable directory the save held goes with the old tree, as before; an excluded one
                    // stops the restore (the destination stays the old tree) rather than lose what it holds.
                    if !excluded { continue }
                    throw failure("cannot open", relative, errno)
                }
                let child = CarryTarget(parent: target, name: name, old: info)
                do throws(TarballError) {
                    try run(oldFD: childFD, target: child, prefix: relative, inherited: excluded)
                    if excluded, try child.materialize() { carried += child.created ? 1 : 0 }
                } catch {
                    child.finish()
                    close(childFD)
                    throw error
                }
                child.finish()
                close(childFD)
                continue
            }
            guard excluded, !target.holds(name) else { continue }
            if Self.isCompanion(name),
                !stemCarried(Array(name[..<(name.count - Self.suffixLength(name))]), oldFD, target, prefix, inherited)
            {
                continue
            }
            guard try target.materialize(), let targetFD = target.fd else { continue }
            try place(name, info: info, from: oldFD, into: targetFD, relative: relative)
            carried += 1
        }
    }

    /// Whether the database `stem` of a companion is itself carried: old holds it, it is excluded, the restored
    /// tree lacks it.
    private func stemCarried(
        _ stem: [UInt8], _ oldFD: Int32, _ target: CarryTarget, _ prefix: [UInt8], _ inherited: Bool
    )
        -> Bool
    {
        guard !stem.isEmpty, let info = Self.lstat(oldFD, stem), (info.st_mode & S_IFMT) != S_IFDIR else {
            return false
        }
        let relative = prefix.isEmpty ? stem : prefix + [UInt8(ascii: "/")] + stem
        guard inherited || excludes.matches(String(pathBytes: relative), isDirectory: false) else { return false }
        return !target.holds(stem)
    }

    /// Hard-links `name` into `targetFD`; a refused link falls back to a copy (files) or a new symlink.
    private func place(_ name: [UInt8], info: stat, from oldFD: Int32, into targetFD: Int32, relative: [UInt8])
        throws(TarballError)
    {
        let linked = Posix.withCString(name) { linkat(oldFD, $0, targetFD, $0, 0) }
        if linked == 0 { return }
        let linkError = errno
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            try copy(name, info: info, from: oldFD, into: targetFD, relative: relative)
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = Posix.withCString(name) { readlinkat(oldFD, $0, &buffer, buffer.count - 1) }
            guard length >= 0 else { throw failure("cannot read the symlink", relative, errno) }
            buffer[length] = 0
            let made = Posix.withCString(name) { symlinkat(buffer, targetFD, $0) }
            guard made == 0 else { throw failure("cannot keep the symlink", relative, errno) }
        default:
            throw failure("cannot keep", relative, linkError)
        }
    }

    private func copy(_ name: [UInt8], info: stat, from oldFD: Int32, into targetFD: Int32, relative: [UInt8])
        throws(TarballError)
    {
        let input = Posix.withCString(name) { openat(oldFD, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard input >= 0 else { throw failure("cannot read", relative, errno) }
        defer { close(input) }
        let output = Posix.withCString(name) {
            openat(targetFD, $0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        }
        guard output >= 0 else { throw failure("cannot keep", relative, errno) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read", relative, errno)
            }
            var offset = 0
            while offset < n {
                let written = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, n - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("cannot keep", relative, errno)
                }
                offset += written
            }
        }
        fchmod(output, info.st_mode & 0o7777)
        var times = [info.st_atim, info.st_mtim]
        futimens(output, &times)
    }

    private func failure(_ doing: String, _ relative: [UInt8], _ code: Int32) -> TarballError {
        let shown = String(pathBytes: relative.isEmpty ? oldRoot : Posix.join(oldRoot, relative))
        return TarballError(
            code: .io, message: "\(doing) \(shown) (excluded, kept across the restore): \(Posix.describe(code))")
    }

    static func lstat(_ fd: Int32, _ name: [UInt8]) -> stat? {
        Posix.withCString(name) { cName -> stat? in
            var info = stat()
            return fstatat(fd, cName, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
        }
    }

    static func suffixLength(_ name: [UInt8]) -> Int {
        for suffix in ExcludedCarryOver.companionSuffixes where name.count > suffix.utf8.count {
            if name.suffix(suffix.utf8.count).elementsEqual(suffix.utf8) { return suffix.utf8.count }
        }
        return 0
    }

    static func isCompanion(_ name: [UInt8]) -> Bool { suffixLength(name) > 0 }
}

/// A directory of the staging tree that entries are carried into, opened or created only when needed.
private final class CarryTarget {
    private let parent: CarryTarget?
    private let name: [UInt8]
    private let old: stat?
    /// The open directory, once materialized.
    private(set) var fd: Int32?
    /// Whether this walk created the directory (else it was restored).
    private(set) var created = false
    /// The staging tree holds a non-directory here: nothing is carried below it.
    private var blocked = false
    /// Whether the staging tree holds no directory here yet (looked up once).
    private var absent: Bool?
    /// The restored directory's times before entries were added, put back by ``finish()``.
    private var restoredTimes: [timespec]?
    private var modified = false

    init(rootFD: Int32) {
        parent = nil
        name = []
        old = nil
        fd = rootFD
        absent = false
        restoredTimes = Self.times(rootFD)
    }

    init(parent: CarryTarget, name: [UInt8], old: stat) {
        self.parent = parent
        self.name = name
        self.old = old
    }

    /// Whether the staging tree holds `child` here (any kind).
    func holds(_ child: [UInt8]) -> Bool {
        if blocked { return true }
        guard let fd = lookup() else { return false }
        return CarryWalk.lstat(fd, child) != nil || errno != ENOENT
    }

    /// Opens (or creates, with its parents) this directory in the staging tree; false when a restored
    /// non-directory is in the way.
    func materialize() throws(TarballError) -> Bool {
        if fd != nil { return markModified() }
        if blocked { return false }
        if lookup() != nil { return markModified() }
        guard let parent, let old, try parent.materialize(), let parentFD = parent.fd else {
            blocked = true
            return false
        }
        let made = Posix.withCString(name) { mkdirat(parentFD, $0, 0o700) }
        guard made == 0 else {
            throw TarballError(
                code: .io,
                message: "cannot create \(String(pathBytes: name)) in the staging tree: \(Posix.describe(errno))")
        }
        let opened = Posix.withCString(name) { openat(parentFD, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard opened >= 0 else {
            throw TarballError(
                code: .io,
                message: "cannot open \(String(pathBytes: name)) in the staging tree: \(Posix.describe(errno))")
        }
        fd = opened
        created = true
        absent = false
        restoredTimes = [old.st_atim, old.st_mtim]
        return markModified()
    }

    /// Gives a created directory its old mode, and every directory entries were added to its times back; closes
    /// what this target opened.
    func finish() {
        guard let fd else { return }
        if created, let old { fchmod(fd, old.st_mode & 0o7777) }
        if modified, var times = restoredTimes { futimens(fd, &times) }
        if parent != nil { close(fd) }
        self.fd = nil
    }

    private func markModified() -> Bool {
        modified = true
        return true
    }

    /// The restored directory here, opened once; nil when there is none (or a non-directory: `blocked`).
    private func lookup() -> Int32? {
        if let fd { return fd }
        if absent == true || blocked { return nil }
        guard let parent, let parentFD = parent.lookup() else {
            absent = true
            return nil
        }
        let opened = Posix.withCString(name) { openat(parentFD, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        if opened >= 0 {
            fd = opened
            restoredTimes = Self.times(opened)
            return opened
        }
        if errno == ENOENT {
            absent = true
        } else {
            blocked = true  // a file or symlink the restore put here
        }
        return nil
    }

    private static func times(_ fd: Int32) -> [timespec]? {
        var info = stat()
        return fstat(fd, &info) == 0 ? [info.st_atim, info.st_mtim] : nil
    }
}
