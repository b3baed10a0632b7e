import Foundation

/// A local record of file hashes, so an unchanged file (same size, mtime, ctime and inode) is not re-hashed.
///
/// It only ever skips hashing; what is "changed" is still decided by size and SHA-256 against the manifest.
public struct FileHashCache: Codable, Sendable {
    /// What identifies an unchanged file on this host.
    public struct Stamp: Codable, Sendable, Equatable {
        var size: Int64
        var mtimeNanoseconds: Int64
        var ctimeNanoseconds: Int64
        var inode: UInt64
    }

    struct Record: Codable, Sendable {
        var stamp: Stamp
        var sha256: String
    }

    var records: [String: Record] = [:]

    public init() {}

    /// The cached hash of `path` when its stamp still matches.
    public func sha256(for path: String, stamp: Stamp) -> String? {
        guard let record = records[path], record.stamp == stamp else { return nil }
        return record.sha256
    }

    /// Records the hash of `path`.
    public mutating func record(_ sha256: String, for path: String, stamp: Stamp) {
        records[path] = Record(stamp: stamp, sha256: sha256)
    }

    /// The first line of the cache file.
    static let header = "storage-cache hash-cache 2"

    /// Loads the cache at `path`; an absent or unreadable file gives an empty cache.
    ///
    /// The file is one record per line, `sha256 TAB size TAB mtime-ns TAB ctime-ns TAB inode TAB path`, after a
    /// header line: parsing it costs a fraction of JSON decoding, which dominated a no-change push. A cache in the
    /// older JSON form is still read.
    public static func load(path: String) -> FileHashCache {
        guard let data = FileManager.default.contents(atPath: path) else { return FileHashCache() }
        let bytes = [UInt8](data)
        let header = Array((Self.header + "\n").utf8)
        guard bytes.starts(with: header) else {
            return (try? JSONDecoder().decode(FileHashCache.self, from: data)) ?? FileHashCache()
        }
        var cache = FileHashCache()
        cache.records.reserveCapacity(bytes.count / 120)
        for line in bytes[header.count...].split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: "\t"), maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6, fields[0].count == 64, let size = Self.integer(fields[1]),
                let mtime = Self.integer(fields[2]), let ctime = Self.integer(fields[3]),
                let inode = Self.integer(fields[4]), !fields[5].isEmpty
            else { return FileHashCache() }
            let stamp = Stamp(
                size: size, mtimeNanoseconds: mtime, ctimeNanoseconds: ctime, inode: UInt64(bitPattern: inode))
            cache.records[String(decoding: fields[5], as: UTF8.self)] = Record(
                stamp: stamp, sha256: String(decoding: fields[0], as: UTF8.self))
        }
        return cache
    }

    /// Whether the file at `path` is in the current (line) format; an older JSON cache is rewritten once.
    public static func isCurrentFormat(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let header = Array((Self.header + "\n").utf8)
        return (try? handle.read(upToCount: header.count)).map { [UInt8]($0) == header } ?? false
    }

    /// A decimal integer (optionally negative) from ASCII digits.
    private static func integer(_ digits: ArraySlice<UInt8>) -> Int64? {
        var rest = digits[...]
        let negative = rest.first == UInt8(ascii: "-")
        if negative { rest = rest.dropFirst() }
        guard !rest.isEmpty, rest.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in rest {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1 && !overflow2 else { return nil }
            value = sum
        }
        return Int64(bitPattern: negative ? 0 &- value : value)
    }

    /// Saves the cache to `path` atomically; failures are ignored (it is only a cache). Paths holding a tab or a
    /// newline are left out (they are hashed again next time).
    public func save(path: String) {
        var bytes = Array((Self.header + "\n").utf8)
        bytes.reserveCapacity(records.count * 160)
        for (file, record) in records
        where !file.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            let stamp = record.stamp
            bytes.append(contentsOf: record.sha256.utf8)
            for value in [
                stamp.size, stamp.mtimeNanoseconds, stamp.ctimeNanoseconds, Int64(bitPattern: stamp.inode),
            ] {
                bytes.append(0x09)
                Self.appendDecimal(value, to: &bytes)
            }
            bytes.append(0x09)
            bytes.append(contentsOf: file.utf8)
            bytes.append(0x0A)
        }
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(bytes).write(to: url, options: .atomic)
    }

    /// Appends `value` in decimal ASCII.
    static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes.append(contentsOf: digits.reversed())
    }
}
