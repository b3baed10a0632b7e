#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A POSIX file descriptor used for positioned reads and writes of streamed bodies.
///
/// Owned by one transfer; closed by ``close()``. Reads and writes use `pread`/`pwrite`, so no shared
/// file offset is involved and curl can rewind an upload by just moving the transfer's cursor.
struct FileDescriptor {
    let raw: Int32

    /// Opens `path` for reading.
    static func openForReading(_ path: String) -> Result<FileDescriptor, HTTPTransportError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.localFile("cannot open \(path) for reading", errno: errno)) }
        return .success(FileDescriptor(raw: fd))
    }

    /// Opens `path` for writing, creating it (mode 0644) if needed, and truncates it to `length` bytes.
    static func openForWriting(_ path: String, truncatingTo length: Int64) -> Result<FileDescriptor, HTTPTransportError>
    {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return .failure(.localFile("cannot open \(path) for writing", errno: errno)) }
        guard ftruncate(fd, off_t(length)) == 0 else {
            let error = HTTPTransportError.localFile("cannot truncate \(path) to \(length) bytes", errno: errno)
            FileDescriptor(raw: fd).close()
            return .failure(error)
        }
        return .success(FileDescriptor(raw: fd))
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the bytes read (0 at end of file) or `-1`.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64) -> Int {
        while true {
            let n = pread(raw, buffer, count, off_t(offset))
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Writes all `count` bytes at `offset`; returns `false` on failure (`errno` set).
    func writeAll(_ buffer: UnsafeRawPointer, count: Int, at offset: Int64) -> Bool {
        var done = 0
        while done < count {
            let n = pwrite(raw, buffer + done, count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }

    /// Closes the descriptor.
    func close() {
        #if canImport(Glibc)
            _ = Glibc.close(raw)
        #elseif canImport(Musl)
            _ = Musl.close(raw)
        #else
            _ = Darwin.close(raw)
        #endif
    }
}

extension HTTPTransportError {
    /// A local file error, naming the file and the OS error.
    static func localFile(_ what: String, errno code: Int32) -> HTTPTransportError {
        let reason = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return HTTPTransportError(code: .localFile, message: "\(what): \(reason)")
    }
}
