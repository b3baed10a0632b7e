import Foundation
import Hashing
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A scratch directory under the system temporary directory, removed when dropped.
final class Scratch {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        let url = URL(fileURLWithPath: base).appendingPathComponent("tarball-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Canonical, so paths compare with what the reader resolves.
        path = URL(fileURLWithPath: url.path).resolvingSymlinksInPath().path
    }

    deinit {
        _ = Process.run("/bin/chmod", ["-R", "u+rwx", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    func sub(_ name: String) -> String { path + "/" + name }
}

extension Process {
    /// Runs `tool` and returns its exit status and standard output.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], cwd: String? = nil) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Files, directories and links of a tree, by relative path, with what a round trip must keep.
enum Tree {
    static func write(_ path: String, _ content: String, mode: mode_t = 0o644) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
    }

    static func mkdir(_ path: String, mode: mode_t = 0o755) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, mode)
    }

    /// Sets the modification time (and access time) of `path` without following a symlink.
    static func touch(_ path: String, seconds: Int, nanoseconds: Int = 0) {
        var times = [
            timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds),
        ]
        utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
    }

    /// `relative path → "kind mode size mtime digest-or-target"`. With `nanoseconds: false` mtimes are whole
    /// seconds (GNU tar's own format keeps no more).
    static func snapshot(_ root: String, nanoseconds: Bool = true, times: Bool = true) -> [String: String] {
        var out: [String: String] = [:]
        walk(root, "", into: &out, nanoseconds: nanoseconds, times: times)
        return out
    }

    private static func walk(
        _ root: String, _ relative: String, into out: inout [String: String], nanoseconds: Bool, times: Bool
    ) {
        let dir = relative.isEmpty ? root : root + "/" + relative
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names {
            let rel = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + rel
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            let mode = String(info.st_mode & 0o7777, radix: 8)
            let time =
                !times ? "" : nanoseconds ? "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)" : "\(info.st_mtim.tv_sec)"
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                out[rel] = "d \(mode) \(time)"
                walk(root, rel, into: &out, nanoseconds: nanoseconds, times: times)
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? "?"
                out[rel] = "l \(target)"
            case S_IFREG:
                let digest = (try? FileDigest.sha256(path: full)).map { Hex.encode($0.digest) } ?? "?"
                out[rel] = "f \(mode) \(info.st_size) \(time) \(digest)"
            default:
                out[rel] = "other \(info.st_mode)"
            }
        }
    }

    static func inode(_ path: String) -> UInt64 {
        var info = stat()
        lstat(path, &info)
        return UInt64(info.st_ino)
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        lstat(path, &info)
        return info.st_mode & 0o7777
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Names in `dir` that look like staging directories.
    static func stagingLeftovers(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".sc-staging-") }
    }

    /// A tree with a bit of everything: nested and empty dirs, modes, times, links, unicode and long names.
    static func makeRich(_ root: String) throws {
        try mkdir(root)
        try mkdir(root + "/a/b/c")
        try write(root + "/a/run.sh", "#!/bin/sh\necho hi\n", mode: 0o755)
        try write(root + "/a/secret", "token", mode: 0o600)
        try write(root + "/a/b/c/deep.json", String(repeating: "{\"k\": 1}\n", count: 5000))
        try write(root + "/zero", "")
        try write(root + "/héllo wörld 日本語.txt", "unicode\n")
        try write(root + "/" + String(repeating: "n", count: 200), "long name\n")
        let longDir = root + "/" + String(repeating: "d", count: 120) + "/" + String(repeating: "e", count: 120)
        try write(longDir + "/f.txt", "long path\n")
        try mkdir(root + "/empty")
        try mkdir(root + "/outer/inner-empty", mode: 0o700)
        try write(root + "/hard-a", "shared inode\n")
        link(root + "/hard-a", root + "/a/hard-b")
        symlink("a/run.sh", root + "/link-to-file")
        symlink("a", root + "/link-to-dir")
        symlink("../secret", root + "/a/b/up-link")
        symlink("does-not-exist", root + "/dangling")
        var second = 1_700_000_000
        for path in (try FileManager.default.subpathsOfDirectory(atPath: root)).sorted().reversed() {
            touch(root + "/" + path, seconds: second, nanoseconds: 123_456_789)
            second += 7
        }
    }
}

/// Hostile or foreign tarballs made with Python's tarfile, entry by entry.
enum PythonTar {
    struct Entry: Codable {
        var name: String
        var type: String
        var data: String? = nil
        var target: String? = nil
        var mode: Int? = nil
    }

    static var python: String {
        ProcessInfo.processInfo.environment["STORAGE_CACHE_TEST_PYTHON"] ?? "/usr/bin/python3"
    }

    static let script = """
        import io, json, sys, tarfile
        out, spec, fmt = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
        mode = {"none": "w", "gz": "w:gz"}[fmt]
        with tarfile.open(out, mode, format=tarfile.PAX_FORMAT) as t:
            for e in spec:
                ti = tarfile.TarInfo(e["name"])
                ti.mode = e.get("mode") or 0o644
                ti.mtime = 1700000000
                kind = e["type"]
                if kind == "file":
                    data = (e.get("data") or "x").encode()
                    ti.size = len(data)
                    t.addfile(ti, io.BytesIO(data))
                    continue
                ti.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                           "chr": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE}[kind]
                ti.linkname = e.get("target") or ""
                if kind == "chr":
                    ti.devmajor, ti.devminor = 1, 3
                t.addfile(ti)
        """

    static func make(_ path: String, _ entries: [Entry], gzip: Bool = false) throws {
        let spec = String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)
        let result = Process.run(python, ["-c", script, path, spec, gzip ? "gz" : "none"])
        try #require(result.status == 0, "python tarfile failed: \(result.output)")
    }
}
