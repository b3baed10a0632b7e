import CArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Walks a directory in sorted order and feeds it to a libarchive pax writer with the chosen compression; files of
/// 1 MiB and more come first, in sorted order too (``LargeFileScan``: a durable restore then waits less).
struct TreeArchiver {
    let options: TarballOptions
    /// A file never to archive (the temp file of the tarball itself, when it is written inside the tree).
    let skip: FileID?

    private static let blockSize = 1 << 20

    func run(directory: String, output: ArchiveOutput) throws(TarballError) -> TarballSummary {
        let rootFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw TarballError(code: .notADirectory, message: "\(directory) is not a directory")
            }
            throw TarballError(code: .io, message: "cannot open \(directory): \(Posix.describe(code))")
        }
        defer { close(rootFD) }
        guard let archive = archive_write_new() else {
            throw TarballError(code: .io, message: "archive_write_new failed: out of memory")
        }
        // Compression on a second thread when there is any, else all on this one.
        var compressor: CompressorThread?
        if options.compression != .none {
            let candidate = try CompressorThread(compression: options.compression, output: output)
            guard candidate.start() else {
                archive_write_free(archive)
                throw TarballError(code: .io, message: "cannot start the compression thread")
            }
            compressor = candidate
        }
        let feed = compressor.map { CompressorFeed(compressor: $0) }
        // The failure to report: the compressor's or the output's own, which libarchive only sees as "-1".
        let failure = { () -> TarballError? in
            if let compressor {
                compressor.channel.cancel()
                compressor.join()
                if let failure = compressor.failure { return failure }
            }
            return output.failure
        }
        defer {
            // After a failure the writer is still open: stop the compressor first, so what freeing the writer
            // flushes is refused at once; the feed must outlive the writer, whose callbacks use it.
            compressor?.channel.cancel()
            archive_write_free(archive)
            compressor?.join()
            withExtendedLifetime(feed) {}
        }
        try configure(archive, compressed: compressor == nil)
        let opened = feed.map { $0.open(archive) } ?? output.open(archive)
        guard opened == ARCHIVE_OK else {
            throw failure() ?? Self.error(archive, "cannot start the tarball")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.blockSize, alignment: 16)
        defer { buffer.deallocate() }
        guard let entry = archive_entry_new() else {
            throw TarballError(code: .io, message: "archive_entry_new failed: out of memory")
        }
        defer { archive_entry_free(entry) }
        var walk = Walk(
            archive: archive, entry: entry, failure: failure, buffer: buffer,
            matcher: ExcludeMatcher(patterns: options.excludes), skip: skip)
        walk.skipPaths = options.skipPaths
        try walk.leadingFiles(rootFD: rootFD)
        try walk.directory(fd: rootFD, relative: [], components: [])
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw failure() ?? Self.error(archive, "cannot finish the tarball")
        }
        if let feed, let compressor {
            let sent = feed.finish()
            compressor.join()
            if let error = compressor.failure ?? output.failure { throw error }
            guard sent else { throw TarballError(code: .io, message: "cannot finish the tarball: compression stopped") }
        }
        return TarballSummary(
            sha256: output.finalizeDigest(), compressedBytes: output.bytes, files: walk.files,
            directories: walk.directories, symlinks: walk.symlinks, contentBytes: walk.contentBytes)
    }

    /// The tar writer: pax, and either the compression filter with 64 KiB output blocks, or (`compressed:
    /// false`, when a ``CompressorThread`` compresses) unblocked output handed on as it comes.
    private func configure(_ archive: OpaquePointer, compressed: Bool) throws(TarballError) {
        var status = archive_write_set_format_pax(archive)
        if compressed {
            status = min(status, CompressorThread.addFilter(archive, options.compression))
            status = min(status, archive_write_set_bytes_per_block(archive, 64 * 1024))
        } else {
            status = min(status, archive_write_set_bytes_per_block(archive, 0))
        }
        status = min(status, archive_write_set_bytes_in_last_block(archive, 1))
        guard status >= ARCHIVE_WARN else { throw Self.error(archive, "cannot configure the tarball") }
    }

    static func error(_ archive: OpaquePointer, _ what: String) -> TarballError {
        let detail = archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
        return TarballError(code: .io, message: "\(what): \(detail)")
    }
}

/// The state of one walk: counters, hard links seen, and the entry being reused.
private struct Walk {
    let archive: OpaquePointer
    let entry: OpaquePointer
    let failure: () -> TarballError?
    let buffer: UnsafeMutableRawBufferPointer
    let matcher: ExcludeMatcher
    let skip: FileID?
    var skipPaths: Set<String> = []
    var hardLinks: [FileID: [UInt8]] = [:]
    /// The paths ``leadingFiles(rootFD:)`` archived already.
    var leading: Set<[UInt8]> = []
    var files = 0
    var directories = 0
    var symlinks = 0
    var contentBytes: Int64 = 0

    init(
        archive: OpaquePointer, entry: OpaquePointer, failure: @escaping () -> TarballError?,
        buffer: UnsafeMutableRawBufferPointer,
        matcher: ExcludeMatcher, skip: FileID?
    ) {
        self.archive = archive
        self.entry = entry
        self.failure = failure
        self.buffer = buffer
        self.matcher = matcher
        self.skip = skip
    }

    mutating func directory(fd: Int32, relative: [UInt8], components: [[UInt8]]) throws(TarballError) {
        let (listed, listError) = Posix.listDirectory(fd: fd)
        if listError != 0 {
            throw TarballError(code: .io, message: "cannot list \(display(relative)): \(Posix.describe(listError))")
        }
        let names = listed.map(\.0).sorted { $0.lexicographicallyPrecedes($1) }
        for name in names {
            let path = Posix.join(relative, name)
            var info = stat()
            let statted = Posix.withCString(name) { fstatat(fd, $0, &info, AT_SYMLINK_NOFOLLOW) }
            guard statted == 0 else {
                if errno == ENOENT { continue }  // removed while we walked
                throw TarballError(code: .io, message: "cannot stat \(display(path)): \(Posix.describe(errno))")
            }
            let type = info.st_mode & S_IFMT
            let isDirectory = type == S_IFDIR
            if !matcher.isEmpty, matcher.matches(String(pathBytes: path), isDirectory: isDirectory) { continue }
            let childComponents = components + [name]
            switch type {
            case S_IFDIR:
                let childFD = Posix.withCString(name) {
                    openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                guard childFD >= 0 else {
                    throw TarballError(code: .io, message: "cannot open \(display(path)): \(Posix.describe(errno))")
                }
                defer { close(childFD) }
                try header(path: path, info: info, type: S_IFDIR, size: 0)
                directories += 1
                try self.directory(fd: childFD, relative: path, components: childComponents)
            case S_IFLNK:
                let target = try readLink(fd: fd, name: name, path: path, size: Int(info.st_size))
                guard EntryPath.symlinkStaysInside(entry: childComponents, target: target) else {
                    throw TarballError(
                        code: .unsafeEntry,
                        message: "symlink \(display(path)) -> \(display(target)) points outside the directory; "
                            + "exclude it to archive the rest")
                }
                archive_entry_clear(entry)
                Posix.withCString(target) { archive_entry_copy_symlink(entry, $0) }
                try header(path: path, info: info, type: S_IFLNK, size: 0, cleared: true)
                symlinks += 1
            case S_IFREG:
                if !leading.isEmpty, leading.contains(path) { continue }
                try file(fd: fd, name: name, path: path, info: info)
            default:
                continue  // sockets, fifos, devices: nothing a restore could or should recreate
            }
        }
    }

    /// Archives the large files (``LargeFileScan``) before the walk, each reached from `rootFD` one component at
    /// a time without following links; the walk then skips them. One that changed in between is left to the walk.
    mutating func leadingFiles(rootFD: Int32) throws(TarballError) {
        let scan = LargeFileScan(matcher: matcher, skip: skip, skipPaths: skipPaths)
        for components in scan.paths(rootFD: rootFD) {
            var fd = fcntl(rootFD, F_DUPFD_CLOEXEC, 0)
            for component in components.dropLast() where fd >= 0 {
                let next = Posix.withCString(component) {
                    openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                close(fd)
                fd = next
            }
            guard fd >= 0 else { continue }
            defer { close(fd) }
            let name = components[components.count - 1]
            var info = stat()
            guard Posix.withCString(name, { fstatat(fd, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0,
                (info.st_mode & S_IFMT) == S_IFREG
            else { continue }
            let path = components.reduce([UInt8]()) { Posix.join($0, $1) }
            try file(fd: fd, name: name, path: path, info: info)
            leading.insert(path)
        }
    }

    /// Archives the regular file `name` of directory `fd` (`path` in the archive), or a hard link to the name
    /// its inode was first archived under; skips the tarball itself and ``skipPaths``.
    private mutating func file(fd: Int32, name: [UInt8], path: [UInt8], info: stat) throws(TarballError) {
        let id = FileID(info)
        if let skip, id == skip { return }
        if !skipPaths.isEmpty, skipPaths.contains(String(pathBytes: path)) { return }
        if info.st_nlink > 1 {
            if let first = hardLinks[id] {
                archive_entry_clear(entry)
                Posix.withCString(first) { archive_entry_copy_hardlink(entry, $0) }
                try header(path: path, info: info, type: S_IFREG, size: 0, cleared: true)
                return
            }
            hardLinks[id] = path
        }
        try regular(fd: fd, name: name, path: path, info: info)
    }

    private mutating func regular(fd: Int32, name: [UInt8], path: [UInt8], info: stat) throws(TarballError) {
        let fileFD = Posix.withCString(name) { openat(fd, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard fileFD >= 0 else {
            throw TarballError(code: .io, message: "cannot open \(display(path)): \(Posix.describe(errno))")
        }
        defer { close(fileFD) }
        let size = Int64(info.st_size)
        try header(path: path, info: info, type: S_IFREG, size: size)
        var remaining = size
        while remaining > 0 {
            let want = Int(min(Int64(buffer.count), remaining))
            let n = read(fileFD, buffer.baseAddress, want)
            if n < 0 {
                if errno == EINTR { continue }
                throw TarballError(code: .io, message: "cannot read \(display(path)): \(Posix.describe(errno))")
            }
            if n == 0 { break }  // shrank while we read: libarchive pads the entry with zeros
            let written = archive_write_data(archive, buffer.baseAddress, n)
            guard written >= 0 else {
                throw failure() ?? TreeArchiver.error(archive, "cannot archive \(display(path))")
            }
            remaining -= Int64(n)
        }
        files += 1
        contentBytes += size
    }

    private mutating func header(
        path: [UInt8], info: stat, type: mode_t, size: Int64, cleared: Bool = false
    ) throws(TarballError) {
        if !cleared { archive_entry_clear(entry) }
        Posix.withCString(path) { archive_entry_copy_pathname(entry, $0) }
        archive_entry_set_filetype(entry, UInt32(type))
        archive_entry_set_perm(entry, info.st_mode & 0o7777)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        archive_entry_set_mtime(entry, info.st_mtim.tv_sec, info.st_mtim.tv_nsec)
        archive_entry_set_size(entry, size)
        let status = archive_write_header(archive, entry)
        guard status >= ARCHIVE_WARN else {
            throw failure() ?? TreeArchiver.error(archive, "cannot archive \(display(path))")
        }
    }

    private func readLink(fd: Int32, name: [UInt8], path: [UInt8], size: Int) throws(TarballError) -> [UInt8] {
        var capacity = max(size, 255) + 1
        while true {
            var target = [UInt8](repeating: 0, count: capacity)
            let n = Posix.withCString(name) { cName in
                target.withUnsafeMutableBufferPointer { readlinkat(fd, cName, $0.baseAddress!, capacity) }
            }
            guard n >= 0 else {
                throw TarballError(code: .io, message: "cannot read link \(display(path)): \(Posix.describe(errno))")
            }
            if n < capacity { return Array(target[0..<n]) }
            capacity *= 2
        }
    }

    private func display(_ path: [UInt8]) -> String { path.isEmpty ? "." : String(pathBytes: path) }
}
