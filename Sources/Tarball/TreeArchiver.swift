import CArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Walks a directory in sorted order and feeds it to a libarchive pax writer with the chosen compression.
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
        defer { archive_write_free(archive) }
        try configure(archive)
        guard output.open(archive) == ARCHIVE_OK else {
            throw output.failure ?? Self.error(archive, "cannot start the tarball")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.blockSize, alignment: 16)
        defer { buffer.deallocate() }
        guard let entry = archive_entry_new() else {
            throw TarballError(code: .io, message: "archive_entry_new failed: out of memory")
        }
        defer { archive_entry_free(entry) }
        var walk = Walk(
            archive: archive, entry: entry, output: output, buffer: buffer,
            matcher: ExcludeMatcher(patterns: options.excludes), skip: skip)
        walk.skipPaths = options.skipPaths
        try walk.directory(fd: rootFD, relative: [], components: [])
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw output.failure ?? Self.error(archive, "cannot finish the tarball")
        }
        return TarballSummary(
            sha256: output.finalizeDigest(), compressedBytes: output.bytes, files: walk.files,
            directories: walk.directories, symlinks: walk.symlinks, contentBytes: walk.contentBytes)
    }

    private func configure(_ archive: OpaquePointer) throws(TarballError) {
        var status = archive_write_set_format_pax(archive)
        switch options.compression {
        case .zstd(let level, let threads):
            status = min(status, archive_write_add_filter_zstd(archive))
            status = min(status, archive_write_set_filter_option(archive, "zstd", "compression-level", "\(level)"))
            // threads 0: zstd's single-threaded mode, the fastest and smallest on the trees measured here (see
            // TarballCompression). N >= 1 workers: multithreaded framing, whose bytes do not depend on N.
            if threads > 0 {
                status = min(status, archive_write_set_filter_option(archive, "zstd", "threads", "\(threads)"))
            }
        case .gzip(let level):
            status = min(status, archive_write_add_filter_gzip(archive))
            status = min(status, archive_write_set_filter_option(archive, "gzip", "compression-level", "\(level)"))
            // No timestamp in the gzip header, so the same tree gives the same bytes.
            _ = archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        case .none:
            break
        }
        status = min(status, archive_write_set_bytes_per_block(archive, 64 * 1024))
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
    let output: ArchiveOutput
    let buffer: UnsafeMutableRawBufferPointer
    let matcher: ExcludeMatcher
    let skip: FileID?
    var skipPaths: Set<String> = []
    var hardLinks: [FileID: [UInt8]] = [:]
    var files = 0
    var directories = 0
    var symlinks = 0
    var contentBytes: Int64 = 0

    init(
        archive: OpaquePointer, entry: OpaquePointer, output: ArchiveOutput, buffer: UnsafeMutableRawBufferPointer,
        matcher: ExcludeMatcher, skip: FileID?
    ) {
        self.archive = archive
        self.entry = entry
        self.output = output
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
                let id = FileID(info)
                if let skip, id == skip { continue }
                if !skipPaths.isEmpty, skipPaths.contains(String(pathBytes: path)) { continue }
                if info.st_nlink > 1 {
                    if let first = hardLinks[id] {
                        archive_entry_clear(entry)
                        Posix.withCString(first) { archive_entry_copy_hardlink(entry, $0) }
                        try header(path: path, info: info, type: S_IFREG, size: 0, cleared: true)
                        continue
                    }
                    hardLinks[id] = path
                }
                try regular(fd: fd, name: name, path: path, info: info)
            default:
                continue  // sockets, fifos, devices: nothing a restore could or should recreate
            }
        }
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
                throw output.failure ?? TreeArchiver.error(archive, "cannot archive \(display(path))")
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
            throw output.failure ?? TreeArchiver.error(archive, "cannot archive \(display(path))")
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
