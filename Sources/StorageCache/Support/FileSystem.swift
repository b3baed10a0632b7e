#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small POSIX file helpers with errors fit for a user. Everything here is synchronous and thread-safe.
package enum FileSystem {
    /// Creates `path` and its missing parents (mode 0755).
    package static func makeDirectories(_ path: String) throws(StoreError) {
        if isDirectory(path) { return }
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw StoreError(errno: errno, operation: "cannot create directory", path: current)
            }
        }
        guard isDirectory(path) else {
            throw StoreError(code: .io, message: "cannot create directory \(path): a file is in the way")
        }
    }

    /// Whether `path` is a directory (following symlinks).
    package static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether anything exists at `path` (not following a final symlink).
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The size of the file at `path`, or `nil` when it does not exist or is not a regular file.
    package static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// The modification time of `path` in seconds since 1970, or `nil`.
    package static func modificationTime(_ path: String) -> Double? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }

    /// The names in directory `path` (without `.` and `..`); empty when it cannot be read.
    package static func contents(of path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes the file at `path`; a missing file is not an error.
    package static func removeFile(_ path: String) {
        _ = unlink(path)
    }

    /// Removes `path` and everything below it without following symlinks; missing is not an error.
    package static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in contents(of: path) { removeTree(path + "/" + name) }
            _ = rmdir(path)
        } else {
            _ = unlink(path)
        }
    }

    /// Renames `from` to `to` atomically (same file system), replacing `to`.
    package static func move(_ from: String, to: String) throws(StoreError) {
        if rename(from, to) != 0 {
            throw StoreError(errno: errno, operation: "cannot rename \(from) to", path: to)
        }
    }

    /// Flushes the directory `path` so renames inside it survive a crash.
    package static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Writes `bytes` to `path` atomically: a temporary file in `temporaryDirectory`, fsync, rename, fsync of
    /// the parent directory. Readers see the old content or the new, never a part.
    package static func writeAtomically(
        _ bytes: [UInt8], to path: String, temporaryDirectory: String
    ) throws(StoreError) {
        let temporary = temporaryDirectory + "/" + uniqueName(prefix: "write", suffix: ".tmp")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(errno: errno, operation: "cannot create", path: temporary) }
        var failure: StoreError?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = StoreError(errno: errno, operation: "cannot write", path: temporary)
                    return
                }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 {
            failure = StoreError(errno: errno, operation: "cannot flush", path: temporary)
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        do {
            try move(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
        syncDirectory(parent(of: path))
    }

    /// Reads the whole file at `path`; `nil` when it does not exist.
    package static func readFile(_ path: String) throws(StoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw StoreError(errno: errno, operation: "cannot open", path: path)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError(errno: errno, operation: "cannot read", path: path)
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// The directory part of `path`.
    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `path` made absolute against the current directory, with trailing slashes removed.
    package static func absolute(_ path: String) -> String {
        var result = path
        if !result.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&buffer, buffer.count) != nil {
                let cwd = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                result = result == "." ? cwd : (cwd == "/" ? "" : cwd) + "/" + result
            }
        }
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// A file name unique to this process and moment: `<prefix>-<pid>-<random><suffix>`. The pid lets
    /// maintenance find leftovers of processes that died.
    package static func uniqueName(prefix: String, suffix: String) -> String {
        let random = UInt64.random(in: 0...UInt64.max)
        return "\(prefix)-\(getpid())-\(String(random, radix: 16))\(suffix)"
    }

    /// Whether a process with `pid` is alive (or exists under another user).
    package static func processIsAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
