import CArchive
import Hashing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where libarchive's compressed blocks go: hashed, counted, then written to a file descriptor or handed to a sink.
final class ArchiveOutput {
    private var hasher = SHA256Hasher()
    private(set) var bytes: Int64 = 0
    private let fd: Int32
    private let sink: ((UnsafeRawBufferPointer) throws -> Void)?
    private let name: String
    /// The first failure of the fd or the sink; libarchive only sees "-1".
    var failure: TarballError?
    /// Set when the tarball was abandoned: nothing more reaches the fd or the sink.
    private var stopped = false

    init(fd: Int32, name: String) {
        self.fd = fd
        self.sink = nil
        self.name = name
    }

    init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void, name: String) {
        self.fd = -1
        self.sink = sink
        self.name = name
    }

    /// Lower-case hex SHA-256 of everything written so far. Call once, at the end.
    func finalizeDigest() -> String {
        var done = SHA256Hasher()
        swap(&done, &hasher)
        return Hex.encode(done.finalize())
    }

    /// Refuses every later write (what freeing an unfinished libarchive writer would flush).
    func stop() { stopped = true }

    fileprivate func emit(_ buffer: UnsafeRawBufferPointer) -> Bool {
        if stopped { return false }
        hasher.update(buffer)
        bytes += Int64(buffer.count)
        if let sink {
            do {
                try sink(buffer)
            } catch {
                failure = TarballError(code: .io, message: "the tarball sink failed: \(error)")
                return false
            }
            return true
        }
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                failure = TarballError(code: .io, message: "cannot write \(name): \(Posix.describe(errno))")
                return false
            }
            offset += n
        }
        return true
    }

    /// Opens `archive` for writing into this output.
    func open(_ archive: OpaquePointer) -> Int32 {
        let context = Unmanaged.passUnretained(self).toOpaque()
        return archive_write_open(archive, context, nil, archiveOutputWrite, nil)
    }
}

private func archiveOutputWrite(
    _ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeRawPointer?, _ length: Int
) -> Int {
    guard let context else { return -1 }
    let output = Unmanaged<ArchiveOutput>.fromOpaque(context).takeUnretainedValue()
    guard length > 0, let buffer else { return 0 }
    return output.emit(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : -1
}
