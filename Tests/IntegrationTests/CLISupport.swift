import Foundation
import Hashing

#if canImport(Glibc)
    import Glibc
#endif

/// The built `storage-cache` binary: `$STORAGE_CACHE_BINARY` (set by Scripts/test), else
/// `<package root>/.build/debug/storage-cache`.
enum CLIBinary {
    static var path: String {
        if let path = ProcessInfo.processInfo.environment["STORAGE_CACHE_BINARY"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.path + "/.build/debug/storage-cache"
    }

    /// What a finished run printed and how it ended.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String

        /// The stdout as a JSON object.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            guard let dictionary = object as? [String: Any] else {
                throw CocoaError(.propertyListReadCorrupt, userInfo: [NSDebugDescriptionErrorKey: stdout])
            }
            return dictionary
        }
    }

    /// runuser(1), to run the binary as an unprivileged user when the tests run as root.
    static let runuser = "/usr/sbin/runuser"

    /// An environment that keeps the real `~/.cache` out of reach.
    static func environment(home: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = home + "/xdg-cache"
        environment["HOME"] = home
        environment.removeValue(forKey: "STORAGE_CACHE_DIR")
        return environment
    }

    /// Runs the binary to completion; as `user` (through runuser, when root) if given.
    static func run(_ arguments: [String], home: String, user: String? = nil) throws -> Run {
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: runuser)
            process.arguments = ["-u", user, "--", path] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
        process.environment = environment(home: home)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so neither can fill up and block the child.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.done { usleep(1000) }
        return Run(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// Starts the binary with its output discarded, for tests that kill it.
    static func start(_ arguments: [String], home: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment(home: home)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false

    func set(_ value: Data) {
        lock.withLock {
            data = value
            finished = true
        }
    }

    var done: Bool { lock.withLock { finished } }
    func get() -> Data { lock.withLock { data } }
}

/// A scratch directory for one test, removed afterwards.
final class LocalScratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/storage-cache-it-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ name: String) -> String { path + "/" + name }
}

/// Generated trees and their fingerprints.
enum LocalTree {
    /// Writes a tree of `files` small files in a few directories plus one `blobBytes` random file, all content
    /// derived from `seed`.
    static func generate(_ root: String, seed: UInt64, files: Int, blobBytes: Int) throws {
        try? FileManager.default.removeItem(atPath: root)
        var rng = SeededGenerator(seed: seed)
        // A pool of letters; each file is a random slice of it, so files differ and generating stays fast.
        var pool = [UInt8](repeating: 0, count: 1 << 16)
        for j in pool.indices { pool[j] = UInt8(truncatingIfNeeded: 97 + Int(rng.next() % 26)) }
        for i in 0..<files {
            let directory = "\(root)/session/s\(i % 25)"
            if i < 25 { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            let size = Int.random(in: 500...4000, using: &rng)
            let start = Int.random(in: 0..<(pool.count - size), using: &rng)
            var bytes = Array(pool[start..<start + size])
            bytes[0] = UInt8(truncatingIfNeeded: i)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/msg_\(i).json"))
        }
        var blob = [UInt8](repeating: 0, count: blobBytes)
        var index = 0
        while index + 8 <= blobBytes {
            var word = rng.next()
            withUnsafeBytes(of: &word) { blob.replaceSubrange(index..<index + 8, with: $0) }
            index += 8
        }
        try FileManager.default.createDirectory(atPath: root + "/snapshot", withIntermediateDirectories: true)
        try Data(blob).write(to: URL(fileURLWithPath: root + "/snapshot/blob.bin"))
        try Data("seed \(seed)\n".utf8).write(to: URL(fileURLWithPath: root + "/label.txt"))
    }

    /// One SHA-256 over the whole fingerprint, with the entry count: compact enough for a failure message.
    static func digest(_ root: String) -> String? {
        guard let fingerprint = fingerprint(root) else { return nil }
        let lines = fingerprint.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)" }.joined(separator: "\n")
        return "\(fingerprint.count) entries, sha256 " + Digest.sha256Hex(Array(lines.utf8)).prefix(16)
    }

    /// `relative path → SHA-256` (directories: "dir", symlinks: "link → target"); `nil` when `root` is missing.
    static func fingerprint(_ root: String) -> [String: String]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        var out: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            switch attributes?[.type] as? FileAttributeType {
            case .typeDirectory?: out[relative] = "dir"
            case .typeSymbolicLink?:
                out[relative] = "link → " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
            default:
                let data = FileManager.default.contents(atPath: path) ?? Data()
                out[relative] = Digest.sha256Hex(Array(data))
            }
        }
        return out
    }
}

/// splitmix64: deterministic test data.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
