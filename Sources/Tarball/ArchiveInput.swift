import CArchive
import Hashing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The compressed bytes libarchive reads: read from a file descriptor in blocks, hashed and counted on the way.
final class ArchiveInput {
    private static let blockSize = 1 << 20

    private var hasher = SHA256Hasher()
    private(set) var bytes: Int64 = 0
    private let fd: Int32
    private let name: String
    private let buffer: UnsafeMutableRawBufferPointer
    /// The first read failure; libarchive only sees "-1".
    var failure: TarballError?

    /// Opens the archive file at `path`.
    init(path: String) throws(TarballError) {
        #if canImport(Glibc)
            fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        #else
            fd = Darwin.open(path, O_RDONLY | O_CLOEXEC)
        #endif
        guard fd >= 0 else {
            throw TarballError(code: .io, message: "cannot open the archive \(path): \(Posix.describe(errno))")
        }
        name = path
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.blockSize, alignment: 16)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Opens `archive` for reading from this input.
    func open(_ archive: OpaquePointer) -> Int32 {
        let context = Unmanaged.passUnretained(self).toOpaque()
        return archive_read_open(archive, context, nil, archiveInputRead, nil)
    }

    /// Reads (and hashes) whatever libarchive left after the end of the tar stream, so the digest covers the
    /// whole file.
    func drain() throws(TarballError) {
        while true {
            let n = fill()
            if n < 0 { throw failure! }
            if n == 0 { return }
        }
    }

    /// Lower-case hex SHA-256 of everything read so far. Call once, at the end.
    func finalizeDigest() -> String {
        var done = SHA256Hasher()
        swap(&done, &hasher)
        return Hex.encode(done.finalize())
    }

    fileprivate var base: UnsafeRawPointer { UnsafeRawPointer(buffer.baseAddress!) }

    fileprivate func fill() -> Int {
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                failure = TarballError(code: .io, message: "cannot read the archive \(name): \(Posix.describe(errno))")
                return -1
            }
            if n > 0 {
                hasher.update(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
                bytes += Int64(n)
            }
            return n
        }
    }
}

private func archiveInputRead(
    _ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?,
    _ out: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> Int {
    guard let context else { return -1 }
    let input = Unmanaged<ArchiveInput>.fromOpaque(context).takeUnretainedValue()
    let n = input.fill()
    out?.pointee = input.base
    return n
}
