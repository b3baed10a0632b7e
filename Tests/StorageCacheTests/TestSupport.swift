import Foundation
import Hashing
import Synchronization

/// A scratch directory, removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/storage-cache-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String { path + "/" + name }
}

/// Small trees of files, and fingerprints to compare them by.
enum TreeFixture {
    /// Writes `files` (relative path → content) under `root`, replacing what was there.
    static func write(_ root: String, _ files: [String: String]) throws {
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for (relative, content) in files {
            let path = root + "/" + relative
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    /// A tree whose content says `label`, with some bulk so archives differ in size.
    static func labelled(_ root: String, _ label: String, bulk: Int = 0) throws {
        var files = ["label.txt": label, "nested/dir/file.json": "{\"label\": \"\(label)\"}"]
        if bulk > 0 {
            var generator = SystemRandomNumberGenerator()
            let random = (0..<bulk).map { _ in Character(UnicodeScalar(UInt8.random(in: 33...126, using: &generator))) }
            files["bulk.bin"] = String(random)
        }
        try write(root, files)
    }

    /// `relative path → SHA-256 of content` (directories map to "dir"); `nil` when `root` does not exist.
    static func fingerprint(_ root: String) -> [String: String]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        var out: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            if isDir.boolValue {
                out[relative] = "dir"
            } else if let data = FileManager.default.contents(atPath: path) {
                out[relative] = Digest.sha256Hex(Array(data))
            }
        }
        return out
    }

    /// Flips one byte in the middle of the file at `path`, keeping its size.
    static func flipByte(_ path: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let middle = data.count / 2
        data[middle] ^= 0xff
        try data.write(to: URL(fileURLWithPath: path))
    }
}

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    func advance(by seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    var now: @Sendable () -> Date { { self.current.withLock { $0 } } }
}
