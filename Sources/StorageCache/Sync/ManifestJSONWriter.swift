import Foundation

/// Writes a ``Manifest`` as JSON, byte for byte what `JSONEncoder` gives with `.sortedKeys`,
/// `.withoutEscapingSlashes` and ISO 8601 dates (the format every storage-cache wrote), in a fraction of its time:
/// Foundation's encoder took about 80 ms for a 4,000-entry manifest, and a push encodes it for the commit and the
/// history copy.
///
/// The schema is fixed, so keys are written in their sorted order by hand; absent optionals are left out, as the
/// synthesized `Codable` conformance does. Doubles are written as `JSONEncoder` writes them: the shortest
/// round-trip form without a trailing `.0`.
struct ManifestJSONWriter {
    private(set) var bytes: [UInt8] = []

    /// The JSON of `manifest`; throws for a non-finite number (as `JSONEncoder` does).
    static func encode(_ manifest: Manifest) throws(ManifestError) -> [UInt8] {
        var writer = ManifestJSONWriter()
        writer.bytes.reserveCapacity(256 + manifest.files.count * 224)
        try writer.write(manifest)
        return writer.bytes
    }

    private mutating func write(_ manifest: Manifest) throws(ManifestError) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        if let changed = manifest.changedSinceSnapshot { key("changedSinceSnapshot", &first); integer(changed) }
        key("createdAt", &first)
        string(manifest.createdAt.formatted(.iso8601))
        key("files", &first)
        bytes.append(UInt8(ascii: "["))
        for (index, entry) in manifest.files.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            try write(entry)
        }
        bytes.append(UInt8(ascii: "]"))
        key("formatVersion", &first)
        integer(Int64(manifest.formatVersion))
        key("generation", &first)
        integer(Int64(manifest.generation))
        if let packs = manifest.packs {
            key("packs", &first)
            bytes.append(UInt8(ascii: "{"))
            var firstPack = true
            for name in packs.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                key(name, &firstPack)
                integer(packs[name] ?? 0)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        if let parent = manifest.parentGeneration { key("parentGeneration", &first); integer(Int64(parent)) }
        if let snapshot = manifest.snapshot {
            key("snapshot", &first)
            var inner = true
            bytes.append(UInt8(ascii: "{"))
            key("generation", &inner)
            integer(Int64(snapshot.generation))
            key("key", &inner)
            string(snapshot.key)
            key("sha256", &inner)
            string(snapshot.sha256)
            key("size", &inner)
            integer(snapshot.size)
            bytes.append(UInt8(ascii: "}"))
        }
        key("toolVersion", &first)
        string(manifest.toolVersion)
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ entry: ManifestEntry) throws(ManifestError) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        if let chunks = entry.chunks {
            key("chunks", &first)
            var inner = true
            bytes.append(UInt8(ascii: "{"))
            key("chunkSize", &inner)
            integer(chunks.chunkSize)
            key("digests", &inner)
            string(chunks.digests)
            if let fileDigest = chunks.fileDigest {
                key("fileDigest", &inner)
                string(fileDigest)
            }
            key("runs", &inner)
            bytes.append(UInt8(ascii: "["))
            for (index, run) in chunks.runs.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                var fields = true
                bytes.append(UInt8(ascii: "{"))
                key("count", &fields)
                integer(Int64(run.count))
                key("key", &fields)
                string(run.key)
                key("offset", &fields)
                integer(run.offset)
                bytes.append(UInt8(ascii: "}"))
            }
            bytes.append(contentsOf: [UInt8(ascii: "]"), UInt8(ascii: "}")])
        }
        key("kind", &first)
        string(entry.kind.rawValue)
        key("mode", &first)
        integer(Int64(entry.mode))
        key("mtime", &first)
        try double(entry.mtime)
        if let pack = entry.pack {
            key("pack", &first)
            var inner = true
            bytes.append(UInt8(ascii: "{"))
            key("key", &inner)
            string(pack.key)
            key("length", &inner)
            integer(pack.length)
            key("offset", &inner)
            integer(pack.offset)
            bytes.append(UInt8(ascii: "}"))
        }
        key("path", &first)
        string(entry.path)
        if let sha256 = entry.sha256 { key("sha256", &first); string(sha256) }
        key("size", &first)
        integer(entry.size)
        if let target = entry.target { key("target", &first); string(target) }
        bytes.append(UInt8(ascii: "}"))
    }

    /// `,"name":` (without the comma for the first key of an object).
    private mutating func key(_ name: String, _ first: inout Bool) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var start = 20
            while magnitude > 0 {
                start -= 1
                scratch[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: scratch[start..<20])
        }
    }

    private mutating func double(_ value: Double) throws(ManifestError) {
        guard value.isFinite else { throw ManifestError("cannot encode the number \(value) in a manifest") }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\b \f \n \r \t` or `\u00XX`, the rest as is.
    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = value.utf8
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: utf8)
        } else {
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: Array("\\u00".utf8))
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xF)])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
