#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small POSIX helpers over byte paths (Linux file names are bytes, not necessarily UTF-8).
enum Posix {
    /// The text of `errno` value `code`.
    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Runs `body` with `path` as a NUL-terminated C string.
    static func withCString<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws(TarballError) -> R)
        throws(TarballError) -> R
    {
        var bytes = path
        bytes.append(0)
        let result: Result<R, TarballError> = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
                do throws(TarballError) { return .success(try body(pointer)) } catch { return .failure(error) }
            }
        }
        return try result.get()
    }

    /// Runs `body` with `path` as a NUL-terminated C string.
    static func withCString<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        var bytes = path
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0) }
        }
    }

    /// The bytes of a C string.
    static func bytes(_ pointer: UnsafePointer<CChar>) -> [UInt8] {
        let count = strlen(pointer)
        return pointer.withMemoryRebound(to: UInt8.self, capacity: count) {
            Array(UnsafeBufferPointer(start: $0, count: count))
        }
    }

    /// `a/b` from `a` and `b`.
    static func join(_ base: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if base.isEmpty { return name }
        var out = base
        if out.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        out.append(contentsOf: name)
        return out
    }

    /// The names in the directory `fd` (without `.` and `..`), with their `d_type`, from its first entry whatever `fd`
    /// was used for before. Closes nothing: `fd` is dup'ed.
    static func listDirectory(fd: Int32) -> (names: [([UInt8], UInt8)], errno: Int32) {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            let code = errno
            return ([], code)
        }
        defer { closedir(dir) }
        // The copy shares its offset with `fd`: start from the beginning even when `fd` was listed before.
        rewinddir(dir)
        var names: [([UInt8], UInt8)] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                let code = errno
                return (names, code)
            }
            let type = entry.pointee.d_type
            let name: [UInt8] = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                let length = raw.firstIndex(of: 0) ?? raw.count
                return Array(raw[0..<length])
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append((name, type))
        }
    }

    /// Removes `name` in directory `parentFD` and everything under it, never following symlinks. Best effort:
    /// returns the first errno that stopped it, or 0.
    @discardableResult
    static func removeTree(parentFD: Int32, name: [UInt8]) -> Int32 {
        let unlinked = withCString(name) { unlinkat(parentFD, $0, 0) }
        if unlinked == 0 { return 0 }
        let firstError = errno
        if firstError == ENOENT { return 0 }
        guard firstError == EISDIR || firstError == EPERM else { return firstError }
        return withCString(name) { cName -> Int32 in
            // A read-only directory cannot be emptied: make it ours first (no-op when it already is).
            _ = fchmodat(parentFD, cName, 0o700, 0)
            let fd = openat(parentFD, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { return errno }
            var status: Int32 = 0
            let (children, listError) = listDirectory(fd: fd)
            if listError != 0 { status = listError }
            for (child, type) in children {
                let result: Int32
                if type == UInt8(DT_DIR) {
                    result = removeTree(parentFD: fd, name: child)
                } else if withCString(child, { unlinkat(fd, $0, 0) }) == 0 {
                    result = 0
                } else {
                    result = removeTree(parentFD: fd, name: child)
                }
                if status == 0 { status = result }
            }
            close(fd)
            if unlinkat(parentFD, cName, AT_REMOVEDIR) != 0, status == 0 { status = errno }
            return status
        }
    }

    /// Removes the tree at `path` (absolute or relative to the working directory). Best effort.
    @discardableResult
    static func removeTree(path: [UInt8]) -> Int32 {
        removeTree(parentFD: AT_FDCWD, name: path)
    }

    /// 16 random lower-case hex digits.
    static func randomSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The canonical absolute path of an existing `path`, or nil with errno set.
    static func realPath(_ path: [UInt8]) -> [UInt8]? {
        withCString(path) { cPath -> [UInt8]? in
            guard let resolved = realpath(cPath, nil) else { return nil }
            defer { free(resolved) }
            return bytes(resolved)
        }
    }

    /// The lstat of `path`, or nil with errno set.
    static func lstatPath(_ path: [UInt8]) -> stat? {
        withCString(path) { cPath -> stat? in
            var info = stat()
            return lstat(cPath, &info) == 0 ? info : nil
        }
    }

    /// Creates `path` and its missing parents as directories (0755).
    static func makeDirectories(_ path: [UInt8]) -> Int32 {
        if let info = lstatPath(path) { return (info.st_mode & S_IFMT) == S_IFDIR ? 0 : ENOTDIR }
        let parent = dirname(of: path)
        if parent != path, !parent.isEmpty {
            let result = makeDirectories(parent)
            if result != 0 { return result }
        }
        let made = withCString(path) { mkdir($0, 0o755) }
        return made == 0 || errno == EEXIST ? 0 : errno
    }

    /// The parent of `path` (`/` for `/x`, `.` for `x`).
    static func dirname(of path: [UInt8]) -> [UInt8] {
        var trimmed = path
        while trimmed.count > 1, trimmed.last == UInt8(ascii: "/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return [UInt8(ascii: ".")] }
        if slash == 0 { return [UInt8(ascii: "/")] }
        return Array(trimmed[..<slash])
    }

    /// The last component of `path`.
    static func basename(of path: [UInt8]) -> [UInt8] {
        var trimmed = path
        while trimmed.count > 1, trimmed.last == UInt8(ascii: "/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return trimmed }
        return Array(trimmed[(slash + 1)...])
    }
}

extension String {
    /// The path as bytes for the POSIX helpers.
    var pathBytes: [UInt8] { Array(utf8) }

    /// A path from bytes for messages (invalid UTF-8 is repaired, so use it for display only).
    init(pathBytes: [UInt8]) { self = String(decoding: pathBytes, as: UTF8.self) }
}
