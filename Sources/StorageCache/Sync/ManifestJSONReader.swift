import Foundation

/// Reads a ``Manifest`` from the JSON storage-cache writes, several times faster than `JSONDecoder` (which took
/// over 100 ms for a 4,000-entry manifest on Linux; a push reads the manifest at least once).
///
/// Strict on purpose: it accepts RFC 8259 JSON holding the manifest schema (unknown keys skipped, `null` for an
/// absent optional) and throws on anything else — a duplicate key, a number of another form than the field's
/// type, a string that is not valid UTF-8 — so ``Manifest/decode(_:)`` falls back to `JSONDecoder`, which then
/// decides (and words the error). Whatever it accepts, it reads exactly as `JSONDecoder` would.
struct ManifestJSONReader {
    /// Why the fast path gave up (never shown to a user: the fallback decides).
    struct Unsupported: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The manifest in `bytes`, or ``Unsupported`` when the fast path cannot read it.
    static func decode(_ bytes: [UInt8]) throws(Unsupported) -> Manifest {
        let result: Result<Manifest, Unsupported> = bytes.withUnsafeBufferPointer { buffer in
            var reader = ManifestJSONReader(buffer)
            do throws(Unsupported) {
                let manifest = try reader.manifest()
                reader.skipWhitespace()
                guard reader.index == buffer.count else { throw Unsupported() }
                return .success(manifest)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: Schema

    private mutating func manifest() throws(Unsupported) -> Manifest {
        var formatVersion: Int?
        var generation: Int?
        var createdAt: Date?
        var toolVersion: String?
        var parentGeneration: Int?
        var files: [ManifestEntry]?
        var snapshot: ManifestSnapshot?
        var packs: [String: Int64]?
        var changedSinceSnapshot: Int64?
        try object { (reader: inout ManifestJSONReader, key: Key) throws(Unsupported) in
            switch key {
            case "formatVersion": formatVersion = try reader.int()
            case "generation": generation = try reader.int()
            case "createdAt":
                guard let date = try? Date(reader.string(), strategy: .iso8601) else { throw Unsupported() }
                createdAt = date
            case "toolVersion": toolVersion = try reader.string()
            case "parentGeneration":
                parentGeneration = try reader.optional { (r: inout Self) throws(Unsupported) in try r.int() }
            case "files":
                var entries: [ManifestEntry] = []
                entries.reserveCapacity(reader.bytes.count / 200)
                try reader.array { (r: inout Self) throws(Unsupported) in entries.append(try r.entry()) }
                files = entries
            case "snapshot": snapshot = try reader.optional { (r: inout Self) throws(Unsupported) in try r.snapshot() }
            case "packs":
                packs = try reader.optional { (r: inout Self) throws(Unsupported) in
                    var sizes: [String: Int64] = [:]
                    try r.object { (r: inout Self, name: Key) throws(Unsupported) in
                        sizes[try name.string()] = try r.int64()
                    }
                    return sizes
                }
            case "changedSinceSnapshot":
                changedSinceSnapshot = try reader.optional { (r: inout Self) throws(Unsupported) in try r.int64() }
            default: try reader.skipValue()
            }
        }
        guard let formatVersion, let generation, let createdAt, let toolVersion, let files else {
            throw Unsupported()
        }
        var manifest = Manifest(
            formatVersion: formatVersion, generation: generation, createdAt: createdAt, toolVersion: toolVersion,
            parentGeneration: parentGeneration, files: files, snapshot: snapshot)
        manifest.packs = packs
        manifest.changedSinceSnapshot = changedSinceSnapshot
        return manifest
    }

    private mutating func entry() throws(Unsupported) -> ManifestEntry {
        var path: String?
        var kind: ManifestEntry.Kind?
        var size: Int64?
        var mode: UInt32?
        var mtime: Double?
        var sha256: String?
        var target: String?
        var pack: PackRange?
        var chunks: ChunkList?
        try object { (reader: inout ManifestJSONReader, key: Key) throws(Unsupported) in
            switch key {
            case "path": path = try reader.string()
            case "kind":
                guard let value = ManifestEntry.Kind(rawValue: try reader.string()) else { throw Unsupported() }
                kind = value
            case "size": size = try reader.int64()
            case "mode":
                guard let value = UInt32(exactly: try reader.int64()) else { throw Unsupported() }
                mode = value
            case "mtime": mtime = try reader.double()
            case "sha256": sha256 = try reader.optional { (r: inout Self) throws(Unsupported) in try r.string() }
            case "target": target = try reader.optional { (r: inout Self) throws(Unsupported) in try r.string() }
            case "pack": pack = try reader.optional { (r: inout Self) throws(Unsupported) in try r.packRange() }
            case "chunks": chunks = try reader.optional { (r: inout Self) throws(Unsupported) in try r.chunkList() }
            default: try reader.skipValue()
            }
        }
        guard let path, let kind, let size, let mode, let mtime else { throw Unsupported() }
        var entry = ManifestEntry(
            path: path, kind: kind, size: size, mode: mode, mtime: mtime, sha256: sha256, target: target)
        entry.pack = pack
        entry.chunks = chunks
        return entry
    }

    private mutating func snapshot() throws(Unsupported) -> ManifestSnapshot {
        var key: String?
        var sha256: String?
        var size: Int64?
        var generation: Int?
        try object { (reader: inout ManifestJSONReader, name: Key) throws(Unsupported) in
            switch name {
            case "key": key = try reader.string()
            case "sha256": sha256 = try reader.string()
            case "size": size = try reader.int64()
            case "generation": generation = try reader.int()
            default: try reader.skipValue()
            }
        }
        guard let key, let sha256, let size, let generation else { throw Unsupported() }
        return ManifestSnapshot(key: key, sha256: sha256, size: size, generation: generation)
    }

    private mutating func packRange() throws(Unsupported) -> PackRange {
        var key: String?
        var offset: Int64?
        var length: Int64?
        try object { (reader: inout ManifestJSONReader, name: Key) throws(Unsupported) in
            switch name {
            case "key": key = try reader.string()
            case "offset": offset = try reader.int64()
            case "length": length = try reader.int64()
            default: try reader.skipValue()
            }
        }
        guard let key, let offset, let length else { throw Unsupported() }
        return PackRange(key: key, offset: offset, length: length)
    }

    private mutating func chunkList() throws(Unsupported) -> ChunkList {
        var chunkSize: Int64?
        var digests: String?
        var runs: [ChunkList.Run]?
        var fileDigest: String?
        try object { (reader: inout ManifestJSONReader, name: Key) throws(Unsupported) in
            switch name {
            case "chunkSize": chunkSize = try reader.int64()
            case "digests": digests = try reader.string()
            case "fileDigest":
                fileDigest = try reader.optional { (r: inout Self) throws(Unsupported) in try r.string() }
            case "runs":
                var list: [ChunkList.Run] = []
                try reader.array { (r: inout Self) throws(Unsupported) in list.append(try r.run()) }
                runs = list
            default: try reader.skipValue()
            }
        }
        guard let chunkSize, let digests, let runs else { throw Unsupported() }
        return ChunkList(chunkSize: chunkSize, digests: digests, runs: runs, fileDigest: fileDigest)
    }

    private mutating func run() throws(Unsupported) -> ChunkList.Run {
        var key: String?
        var offset: Int64?
        var count: Int?
        try object { (reader: inout ManifestJSONReader, name: Key) throws(Unsupported) in
            switch name {
            case "key": key = try reader.string()
            case "offset": offset = try reader.int64()
            case "count": count = try reader.int()
            default: try reader.skipValue()
            }
        }
        guard let key, let offset, let count else { throw Unsupported() }
        return ChunkList.Run(key: key, offset: offset, count: count)
    }

    // MARK: JSON

    /// An object key, compared without building a `String` (keys are ASCII names).
    struct Key {
        let bytes: UnsafeBufferPointer<UInt8>
        let escaped: Bool

        static func ~= (pattern: StaticString, key: Key) -> Bool {
            !key.escaped && pattern.utf8CodeUnitCount == key.bytes.count
                && memcmp(pattern.utf8Start, key.bytes.baseAddress!, key.bytes.count) == 0
        }

        /// The key as a string (pack names in `packs`).
        func string() throws(Unsupported) -> String { try ManifestJSONReader.unescape(self) }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(Unsupported) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw Unsupported() }
        index += 1
    }

    /// Whether the next value is `null` (consumed).
    private mutating func null() -> Bool {
        skipWhitespace()
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
            bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    private mutating func optional<T>(_ read: (inout Self) throws(Unsupported) -> T) throws(Unsupported) -> T? {
        if null() { return nil }
        return try read(&self)
    }

    /// Reads an object, calling `member` with each key (the reader positioned at its value). A repeated key is
    /// left to `JSONDecoder`.
    private mutating func object(_ member: (inout Self, Key) throws(Unsupported) -> Void)
        throws(Unsupported)
    {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        var seen: [UnsafeBufferPointer<UInt8>] = []
        while true {
            skipWhitespace()
            let key = try rawString()
            if seen.contains(where: {
                $0.count == key.bytes.count && memcmp($0.baseAddress!, key.bytes.baseAddress!, $0.count) == 0
            }) {
                throw Unsupported()
            }
            seen.append(key.bytes)
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            skipWhitespace()
            guard index < bytes.count else { throw Unsupported() }
            let next = bytes[index]
            index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Unsupported() }
        }
    }

    private mutating func array(_ element: (inout Self) throws(Unsupported) -> Void) throws(Unsupported) {
        try expect(UInt8(ascii: "["))
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try element(&self)
            skipWhitespace()
            guard index < bytes.count else { throw Unsupported() }
            let next = bytes[index]
            index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw Unsupported() }
        }
    }

    /// The bytes of a string literal between its quotes (escapes not resolved), and whether it holds any.
    private mutating func rawString() throws(Unsupported) -> Key {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Unsupported() }
        index += 1
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let key = Key(bytes: UnsafeBufferPointer(rebasing: bytes[start..<index]), escaped: escaped)
                index += 1
                return key
            }
            if byte < 0x20 { throw Unsupported() }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
            }
            index += 1
        }
        throw Unsupported()
    }

    private mutating func string() throws(Unsupported) -> String {
        skipWhitespace()
        return try Self.unescape(try rawString())
    }

    /// The string a literal's bytes (between the quotes) stand for.
    private static func unescape(_ raw: Key) throws(Unsupported) -> String {
        guard raw.escaped else {
            guard let value = String(validating: raw.bytes, as: UTF8.self) else { throw Unsupported() }
            return value
        }
        var out: [UInt8] = []
        out.reserveCapacity(raw.bytes.count)
        var position = 0
        let text = raw.bytes
        while position < text.count {
            let byte = text[position]
            position += 1
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            guard position < text.count else { throw Unsupported() }
            let escape = text[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try Self.hex4(text, &position)
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate must be followed by `\u` and a low one.
                    guard position + 1 < text.count, text[position] == UInt8(ascii: "\\"),
                        text[position + 1] == UInt8(ascii: "u")
                    else { throw Unsupported() }
                    position += 2
                    let low = try Self.hex4(text, &position)
                    guard (0xDC00..<0xE000).contains(low) else { throw Unsupported() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw Unsupported()
                }
                guard let value = Unicode.Scalar(scalar) else { throw Unsupported() }
                out.append(contentsOf: String(Character(value)).utf8)
            default: throw Unsupported()
            }
        }
        guard let value = String(validating: out, as: UTF8.self) else { throw Unsupported() }
        return value
    }

    private static func hex4(_ text: UnsafeBufferPointer<UInt8>, _ position: inout Int) throws(Unsupported)
        -> UInt32
    {
        guard position + 4 <= text.count else { throw Unsupported() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = text[position]
            position += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Unsupported()
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// An integer in plain form (`-?(0|[1-9][0-9]*)`); fractions and exponents are left to `JSONDecoder`.
    private mutating func int64() throws(Unsupported) -> Int64 {
        skipWhitespace()
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        let start = index
        var magnitude: UInt64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw Unsupported() }
            magnitude = sum
            index += 1
        }
        let count = index - start
        guard count > 0, count == 1 || bytes[start] != UInt8(ascii: "0") else { throw Unsupported() }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            throw Unsupported()
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw Unsupported() }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw Unsupported() }
        return Int64(magnitude)
    }

    private mutating func int() throws(Unsupported) -> Int {
        guard let value = Int(exactly: try int64()) else { throw Unsupported() }
        return value
    }

    /// A number in RFC 8259 form, parsed as `Double` parses text (correctly rounded, as `JSONDecoder`).
    private mutating func double() throws(Unsupported) -> Double {
        skipWhitespace()
        let start = index
        func digits(_ reader: inout Self) -> Int {
            let from = reader.index
            while reader.index < reader.bytes.count, reader.bytes[reader.index] >= UInt8(ascii: "0"),
                reader.bytes[reader.index] <= UInt8(ascii: "9")
            {
                reader.index += 1
            }
            return reader.index - from
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits(&self)
        guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
            throw Unsupported()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw Unsupported() }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits(&self) > 0 else { throw Unsupported() }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw Unsupported() }
        return value
    }

    /// Skips any JSON value (an unknown key's).
    private mutating func skipValue() throws(Unsupported) {
        skipWhitespace()
        guard index < bytes.count else { throw Unsupported() }
        switch bytes[index] {
        case UInt8(ascii: "{"): try object { (r: inout Self, _: Key) throws(Unsupported) in try r.skipValue() }
        case UInt8(ascii: "["): try array { (r: inout Self) throws(Unsupported) in try r.skipValue() }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try double()
        }
    }

    private mutating func literal(_ word: StaticString) throws(Unsupported) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            memcmp(word.utf8Start, bytes.baseAddress! + index, count) == 0
        else { throw Unsupported() }
        index += count
    }
}
