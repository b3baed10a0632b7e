import Hashing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Streaming hashes and sizes of file sections, read in blocks so memory stays flat.
enum FileSection {
    /// SHA-256 of `length` bytes of `path` from `offset`.
    static func sha256(path: String, offset: Int64, length: Int64, blockSize: Int = 1 << 20) throws(S3Error)
        -> [UInt8]
    {
        var hasher = SHA256Hasher()
        try read(path: path, offset: offset, length: length, blockSize: blockSize) { hasher.update($0) }
        return hasher.finalize()
    }

    /// Feeds `length` bytes of `path` from `offset` to `consume`, one block at a time.
    static func read(
        path: String, offset: Int64, length: Int64, blockSize: Int, _ consume: (UnsafeRawBufferPointer) -> Void
    ) throws(S3Error) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fileError(path) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { buffer.deallocate() }
        var position = offset
        var remaining = length
        while remaining > 0 {
            let n = pread(fd, buffer.baseAddress, Int(min(Int64(blockSize), remaining)), off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                throw fileError(path)
            }
            if n == 0 { throw S3Error(code: .localFile, message: "\(path) is shorter than expected (it changed?)") }
            consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            position += Int64(n)
            remaining -= Int64(n)
        }
    }

    /// The size of the regular file at `path`.
    static func size(path: String) throws(S3Error) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw fileError(path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw S3Error(code: .localFile, message: "\(path) is not a regular file")
        }
        return Int64(info.st_size)
    }

    static func fileError(_ path: String) -> S3Error {
        S3Error(code: .localFile, message: "cannot read \(path): \(String(cString: strerror(errno)))")
    }
}
