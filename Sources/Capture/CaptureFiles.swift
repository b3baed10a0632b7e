#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The small file system operations a capture needs, over POSIX calls.
enum CaptureFiles {
    static func lstatPath(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    static func kind(_ info: stat) -> mode_t { info.st_mode & S_IFMT }

    /// Names in `path` (no `.` and `..`), or `nil` when it cannot be read; non-UTF-8 names are reported apart.
    static func list(_ path: String) -> (names: [String], undecodable: Int)? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        var undecodable = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            if let text = String(validating: name, as: UTF8.self) { names.append(text) } else { undecodable += 1 }
        }
        return (names.sorted(), undecodable)
    }

    /// Whether the file at `path` starts with the SQLite 3 header.
    static func hasSQLiteHeader(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 16)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 16, 0) }
        return n == 16 && bytes == SQLiteBackup.header
    }

    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// Hard-links `source` to `destination`; on any failure (another file system, no permission) copies it.
    static func linkOrCopy(_ source: String, to destination: String, mode: mode_t) throws(CaptureError) {
        if link(source, destination) == 0 { return }
        try copyFile(source, to: destination, mode: mode)
    }

    /// Copies the bytes of `source` into a new file `destination` with `mode`, keeping the source's mtime.
    static func copyFile(_ source: String, to destination: String, mode: mode_t) throws(CaptureError) {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else { throw CaptureError(.io, "cannot open \(source): \(errorText())") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0o7777)
        guard output >= 0 else { throw CaptureError(.io, "cannot create \(destination): \(errorText())") }
        var failed: CaptureError?
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        copying: while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                failed = CaptureError(.io, "cannot read \(source): \(errorText())")
                break
            }
            var offset = 0
            while offset < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, n - offset) }
                if w < 0 {
                    if errno == EINTR { continue }
                    failed = CaptureError(.io, "cannot write \(destination): \(errorText())")
                    break copying
                }
                offset += w
            }
        }
        var info = stat()
        if failed == nil, fstat(input, &info) == 0 {
            var times = [info.st_atim, info.st_mtim]
            futimens(output, &times)
        }
        fchmod(output, mode & 0o7777)
        close(output)
        if let failed {
            unlink(destination)
            throw failed
        }
    }

    /// Writes `bytes` into a new file `destination` with `mode`.
    static func writeFile(_ bytes: UnsafeRawBufferPointer, to destination: String, mode: mode_t) throws(CaptureError) {
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0o7777)
        guard output >= 0 else { throw CaptureError(.io, "cannot create \(destination): \(errorText())") }
        defer { close(output) }
        var offset = 0
        while offset < bytes.count {
            let n = write(output, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let failure = CaptureError(.io, "cannot write \(destination): \(errorText())")
                unlink(destination)
                throw failure
            }
            offset += n
        }
        fchmod(output, mode & 0o7777)
    }

    /// Gives `path` (not following a symlink) the access and modification times in `info`, so the staging tree
    /// archives exactly as the source would.
    static func setTimes(_ path: String, from info: stat) {
        var times = [info.st_atim, info.st_mtim]
        utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// Removes `path` and everything below it; errors are ignored.
    static func removeTree(_ path: String) {
        guard let info = lstatPath(path) else { return }
        if kind(info) == S_IFDIR {
            chmod(path, 0o700)
            for name in list(path)?.names ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Creates `path` and its missing parents (mode 0700).
    static func makeDirectories(_ path: String) -> Bool {
        if let info = lstatPath(path) { return kind(info) == S_IFDIR }
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !parent.isEmpty && !makeDirectories(parent) { return false }
        return mkdir(path, 0o700) == 0 || errno == EEXIST
    }

    static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }
}
