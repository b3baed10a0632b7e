#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Streaming digests of files, read in fixed-size blocks so memory stays flat for any file size.
public enum FileDigest {
    /// The error thrown when a file cannot be read.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        /// The path that could not be read.
        public let path: String
        /// The `errno` value.
        public let errno: Int32
        public var description: String { "cannot read \(path): \(String(cString: strerror(errno)))" }
    }

    /// SHA-256 of the whole file at `path`, with its size.
    public static func sha256(path: String, blockSize: Int = 1 << 20) throws(ReadError) -> (
        digest: [UInt8], size: Int64
    ) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(path: path, errno: errno) }
        defer { close(fd) }
        var hasher = SHA256Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let n = read(fd, buffer.baseAddress, blockSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: path, errno: errno)
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += Int64(n)
        }
        return (hasher.finalize(), total)
    }
}
