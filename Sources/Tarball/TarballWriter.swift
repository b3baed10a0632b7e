#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a directory as a deterministic POSIX pax tarball: entries sorted (regular files of 1 MiB and more first,
/// see ``LargeFileScan``), uid/gid 0, no owner names, modes and mtimes kept. The SHA-256 of the compressed stream is
/// computed while writing.
///
/// Regular files, directories (empty ones too), symlinks and hard links are archived; sockets and fifos are
/// skipped. A symlink that points outside the directory (absolute, or `..` past the root) is refused with
/// ``TarballError/Code/unsafeEntry`` because ``TarballReader`` would refuse to restore it: exclude it instead.
public struct TarballWriter: Sendable {
    /// How the tarball is made.
    public var options: TarballOptions

    public init(options: TarballOptions = TarballOptions()) {
        self.options = options
    }

    /// Archives `directory` into the file at `path`, atomically (temp file, fsync, rename).
    public func write(directory: String, to path: String) throws(TarballError) -> TarballSummary {
        let target = path.pathBytes
        let parent = Posix.dirname(of: target)
        let temp = Posix.join(
            parent, Array(".\(String(pathBytes: Posix.basename(of: target))).tmp-\(Posix.randomSuffix())".utf8))
        let fd = Posix.withCString(temp) { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard fd >= 0 else {
            throw TarballError(code: .io, message: "cannot create \(path): \(Posix.describe(errno))")
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { _ = Posix.withCString(temp) { unlink($0) } }
        }
        var info = stat()
        fstat(fd, &info)
        let output = ArchiveOutput(fd: fd, name: path)
        let summary = try TreeArchiver(options: options, skip: FileID(info)).run(
            directory: directory, output: output)
        guard fsync(fd) == 0 else {
            throw TarballError(code: .io, message: "cannot flush \(path): \(Posix.describe(errno))")
        }
        closed = true
        guard close(fd) == 0 else {
            throw TarballError(code: .io, message: "cannot write \(path): \(Posix.describe(errno))")
        }
        let moved = Posix.withCString(temp) { from in Posix.withCString(target) { rename(from, $0) } }
        guard moved == 0 else {
            throw TarballError(code: .io, message: "cannot rename the tarball to \(path): \(Posix.describe(errno))")
        }
        renamed = true
        let dirFD = Posix.withCString(parent) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
        return summary
    }

    /// Archives `directory`, handing each compressed block to `sink` as it is produced (for streaming uploads).
    /// An error thrown by `sink` stops the write and is reported as ``TarballError/Code/io``.
    public func write(
        directory: String, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws(TarballError) -> TarballSummary {
        let result: Result<TarballSummary, TarballError> = withoutActuallyEscaping(sink) { escapable in
            let output = ArchiveOutput(sink: escapable, name: "the tarball stream")
            do throws(TarballError) {
                return .success(try TreeArchiver(options: options, skip: nil).run(directory: directory, output: output))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// A file's identity on disk.
struct FileID: Hashable {
    var device: UInt64
    var inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
