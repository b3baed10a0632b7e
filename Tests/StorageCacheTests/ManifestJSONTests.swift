import Foundation
import Testing

@testable import StorageCache

/// The hand-written manifest codec (`ManifestJSONWriter`, `ManifestJSONReader`) against Foundation's, which wrote
/// every manifest before it: same bytes out, same manifest in, and `JSONDecoder` deciding whatever the fast reader
/// does not take.
@Suite struct ManifestJSONTests {
    /// A deterministic generator (SplitMix64), so a failure can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let pieces = [
        "a", "B", "z_9", "é", "日本", "😀", "sp ace", "q\"uote", "back\\slash", "<&>", "\u{7F}", "\u{2028}", "-", ".x",
    ]

    static func text(_ random: inout Generator, controls: Bool = false) -> String {
        var out = ""
        for _ in 0..<Int.random(in: 1...4, using: &random) { out += pieces.randomElement(using: &random)! }
        if controls, Bool.random(using: &random) {
            out += String(UnicodeScalar(UInt8.random(in: 1...0x1F, using: &random)))
        }
        return out
    }

    static func double(_ random: inout Generator) -> Double {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return Double(Int.random(in: -5...2_000_000_000, using: &random))
        case 1:
            return Double(Int.random(in: 1_600_000_000...1_900_000_000, using: &random))
                + Double.random(in: 0..<1, using: &random)
        case 2: return Double.random(in: -1e-6...1e-6, using: &random)
        case 3:
            return pow(10, Double(Int.random(in: -30...30, using: &random))) * Double.random(in: 1..<10, using: &random)
        case 4:
            return [0, -0.0, 1, 1e16, 1e21, 1e22, 0.1, 5e-324, 1.7976931348623157e308].randomElement(using: &random)!
        default:
            let value = Double(bitPattern: random.next())
            return value.isFinite ? value : 2.5
        }
    }

    /// A manifest using every field, optional ones present or not.
    static func manifest(seed: UInt64) -> Manifest {
        var random = Generator(state: seed)
        let prefix = "opencode-storage/github/o-r"
        let packKeys = (0..<Int.random(in: 0...4, using: &random)).map { _ in
            "\(prefix)/packs/\(Int.random(in: 1...120, using: &random))-\(text(&random)).pack"
        }
        var files: [ManifestEntry] = []
        for index in 0..<Int.random(in: 0...40, using: &random) {
            let path = "d\(index)/" + text(&random)
            var entry: ManifestEntry
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                entry = ManifestEntry(
                    path: path, kind: .symlink, size: 0, mode: 0o777, mtime: double(&random),
                    target: text(&random, controls: true))
            case 1:
                entry = ManifestEntry(path: path, kind: .directory, size: 0, mode: 0o755, mtime: double(&random))
            default:
                let size = Int64.random(in: 0...(1 << 40), using: &random)
                entry = ManifestEntry(
                    path: path, size: size, mode: UInt32.random(in: 0...0o1777, using: &random),
                    mtime: double(&random),
                    sha256: Bool.random(using: &random) ? String(repeating: "ab", count: 32) : nil)
                if let key = packKeys.randomElement(using: &random), Bool.random(using: &random) {
                    entry.pack = PackRange(
                        key: key, offset: Int64.random(in: 0...(1 << 40), using: &random), length: size)
                } else if let key = packKeys.randomElement(using: &random), Bool.random(using: &random) {
                    let runs = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                        ChunkList.Run(
                            key: key, offset: Int64.random(in: 0...(1 << 30), using: &random),
                            count: Int.random(in: 1...9, using: &random))
                    }
                    entry.chunks = ChunkList(
                        chunkSize: 4 << 20, digests: "q83vEjRWeJA=/+", runs: runs,
                        fileDigest: Bool.random(using: &random) ? ChunkList.chunkDigestsKind : nil)
                }
            }
            files.append(entry)
        }
        var manifest = Manifest(
            formatVersion: Int.random(in: 1...2, using: &random),
            generation: Int.random(in: 1...100_000, using: &random),
            createdAt: Date(timeIntervalSince1970: Double.random(in: 0...4e9, using: &random)),
            toolVersion: Bool.random(using: &random) ? "0.1.0" : text(&random, controls: true),
            parentGeneration: Bool.random(using: &random) ? Int.random(in: 0...100_000, using: &random) : nil,
            files: files,
            snapshot: Bool.random(using: &random)
                ? ManifestSnapshot(
                    key: "\(prefix)/snapshot-g1-\(text(&random)).tar.zst", sha256: String(repeating: "c", count: 64),
                    size: Int64.random(in: 0...(1 << 40), using: &random),
                    generation: Int.random(in: 1...9, using: &random))
                : nil)
        if !packKeys.isEmpty || Bool.random(using: &random) {
            manifest.packs = Dictionary(packKeys.map { ($0, Int64.random(in: 0...(1 << 40), using: &random)) }) {
                a, _ in a
            }
        }
        if Bool.random(using: &random) {
            manifest.changedSinceSnapshot = Int64.random(in: 0...(1 << 30), using: &random)
        }
        return manifest
    }

    @Test func writerGivesJSONEncodersBytes() throws {
        for seed in UInt64(1)...300 {
            let manifest = Self.manifest(seed: seed)
            let ours = try manifest.encoded()
            let foundation = try manifest.foundationEncoded()
            #expect(ours == foundation, "seed \(seed): \(String(decoding: ours.prefix(300), as: UTF8.self))")
        }
    }

    @Test func readerReadsWhatJSONDecoderReads() throws {
        for seed in UInt64(1)...300 {
            let bytes = try Self.manifest(seed: seed).foundationEncoded()
            guard let fast = try? ManifestJSONReader.decode(bytes) else {
                Issue.record("seed \(seed): the fast reader refused \(String(decoding: bytes, as: UTF8.self))")
                continue
            }
            #expect(fast == (try Manifest.foundationDecoded(bytes)), "seed \(seed)")
            // Exactly the doubles JSONDecoder reads (== would take 0 and -0 as one).
            let fastTimes = fast.files.map(\.mtime.bitPattern)
            #expect(fastTimes == (try Manifest.foundationDecoded(bytes)).files.map(\.mtime.bitPattern), "seed \(seed)")
        }
    }

    @Test func roundTripsTheDefaultTreesShape() throws {
        // A bench-sized manifest: 4,000 entries, a pack, chunks, a snapshot.
        var files = (0..<4000).map { index in
            ManifestEntry(
                path: String(format: "message/ses_%05d/msg_%04d.json", index / 20, index % 20),
                size: Int64(2000 + index),
                mode: 0o644, mtime: 1_796_131_866.659_172 + Double(index) / 7, sha256: String(repeating: "e", count: 64)
            )
        }
        files[7].pack = PackRange(key: "r/packs/2-ab.pack", offset: 0, length: files[7].size)
        let manifest = {
            var manifest = Manifest(
                generation: 2, createdAt: Date(timeIntervalSince1970: 1_796_131_904), toolVersion: "0.1.0",
                parentGeneration: 1, files: files,
                snapshot: ManifestSnapshot(key: "r/snapshot-g1-x.tar.zst", sha256: "d", size: 3, generation: 1))
            manifest.packs = ["r/packs/2-ab.pack": files[7].size, "r/packs/1-cd.pack": 75_497_472]
            manifest.changedSinceSnapshot = files[7].size
            return manifest
        }()
        let bytes = try manifest.encoded()
        #expect(bytes == (try manifest.foundationEncoded()))
        #expect(try Manifest.decode(bytes) == manifest.withDateInWholeSeconds)
    }

    /// Files as earlier storage-caches wrote them (format 1 and format 2, through `JSONEncoder`) still decode.
    @Test func oldFilesStillDecode() throws {
        let format1 = """
            {"createdAt":"2026-11-20T08:00:01Z","files":[{"kind":"file","mode":420,"mtime":1795000000.25,\
            "path":"a\\/b.json","sha256":"\(String(repeating: "a", count: 64))","size":12},{"kind":"symlink",\
            "mode":511,"mtime":1795000000,"path":"l","size":0,"target":"a\\/b.json"},{"kind":"directory","mode":493,\
            "mtime":1795000001.5,"path":"empty","size":0}],"formatVersion":1,"generation":4,"parentGeneration":3,\
            "snapshot":{"generation":4,"key":"p\\/snapshot-1.tar.zst","sha256":"s","size":99},"toolVersion":"0.1.0"}
            """
        let one = try Manifest.decode(Array(format1.utf8))
        #expect(one.formatVersion == 1 && one.generation == 4 && one.parentGeneration == 3)
        #expect(one.createdAt == (try Date("2026-11-20T08:00:01Z", strategy: .iso8601)))
        #expect(one.files.map(\.path) == ["a/b.json", "l", "empty"])
        #expect(one.files[1].target == "a/b.json" && one.files[1].kind == .symlink)
        #expect(one.files[0].mtime == 1_795_000_000.25 && one.files[2].kind == .directory)
        #expect(one.snapshot == ManifestSnapshot(key: "p/snapshot-1.tar.zst", sha256: "s", size: 99, generation: 4))
        #expect(one.packs == nil && one.changedSinceSnapshot == nil)
        #expect(one == (try Manifest.foundationDecoded(Array(format1.utf8))))

        let format2 = """
            {"changedSinceSnapshot":5,"createdAt":"2026-12-01T13:31:44Z","files":[{"chunks":{"chunkSize":4,\
            "digests":"\(Data(repeating: 1, count: 64).base64EncodedString())","runs":[{"count":1,"key":"p/packs/1-a.pack",\
            "offset":0},{"count":1,"key":"p/packs/2-b.pack","offset":5}]},"kind":"file","mode":420,"mtime":1796131866.6599467,\
            "path":"db","sha256":"x","size":6},{"kind":"file","mode":420,"mtime":1796131902.5355225,"pack":{"key":\
            "p/packs/2-b.pack","length":5,"offset":0},"path":"m.json","sha256":"y","size":5}],"formatVersion":2,\
            "generation":2,"packs":{"p/packs/1-a.pack":4,"p/packs/2-b.pack":7},"parentGeneration":1,"snapshot":null,\
            "toolVersion":"0.1.0"}
            """
        let two = try Manifest.decode(Array(format2.utf8))
        #expect(two.files[0].chunks?.runs.map(\.offset) == [0, 5])
        #expect(try two.files[0].chunks?.chunks(fileSize: 6).map(\.location.length) == [4, 2])
        #expect(two.files[1].pack == PackRange(key: "p/packs/2-b.pack", offset: 0, length: 5))
        #expect(two.files[0].mtime == 1_796_131_866.659_946_7)
        #expect(two.packs == ["p/packs/1-a.pack": 4, "p/packs/2-b.pack": 7] && two.changedSinceSnapshot == 5)
        #expect(two.snapshot == nil)
        #expect(two == (try Manifest.foundationDecoded(Array(format2.utf8))))
    }

    /// JSON in other layouts (whitespace, key order, escaped slashes, unknown keys, `\u` escapes) reads the same.
    @Test func readerTakesOtherValidLayouts() throws {
        let text = """
             { "toolVersion" : "0.1.0", "generation" : 7 , "formatVersion":2, "future": {"a": [1, -2.5e3, true, \
            false, null, "\\u00e9\\ud83d\\ude00"]}, "createdAt": "2026-12-01T00:00:00Z",
              "files": [ { "size": 1, "path": "x\\/\\u0041\\n", "mode": 420, "mtime": -1.5E+2, "kind": "file",
              "sha256": null, "extra": {} } ], "parentGeneration": null }\n
            """
        let bytes = Array(text.utf8)
        let fast = try ManifestJSONReader.decode(bytes)
        #expect(fast == (try Manifest.foundationDecoded(bytes)))
        #expect(fast.files.first?.path == "x/A\n" && fast.files.first?.mtime == -150 && fast.generation == 7)
    }

    /// What the fast reader leaves to JSONDecoder gets JSONDecoder's answer (a manifest or an error).
    @Test(arguments: [
        #"{"createdAt":"2026-12-01T00:00:00Z","files":[],"formatVersion":2,"generation":1,"generation":2,"toolVersion":"v"}"#,
        #"{"createdAt":"2026-12-01T00:00:00Z","files":[],"formatVersion":2.0,"generation":1,"toolVersion":"v"}"#,
        #"{"createdAt":"2026-12-01T00:00:00Z","files":[],"formatVersion":2,"generation":1e1,"toolVersion":"v"}"#,
        #"{"createdAt":"2026-12-01T00:00:00Z","files":[],"formatVersion":2,"generation":1,"toolVersion":"v"} x"#,
        #"{"createdAt":"yesterday","files":[],"formatVersion":2,"generation":1,"toolVersion":"v"}"#,
        #"{"createdAt":"2026-12-01T00:00:00Z","files":[{"kind":"socket","mode":1,"mtime":1,"path":"a","size":0}],"formatVersion":2,"generation":1,"toolVersion":"v"}"#,
        #"{"createdAt":"2026-12-01T00:00:00Z","files":[{"kind":"file","mode":-1,"mtime":1,"path":"a","size":0}],"formatVersion":2,"generation":1,"toolVersion":"v"}"#,
        #"{"createdAt":"2026-12-01T00:00:00Z","files":[{"kind":"file","mode":1,"mtime":1,"path":"\ud800","size":0}],"formatVersion":2,"generation":1,"toolVersion":"v"}"#,
        #"{"createdAt":"2026-12-01T00:00:00Z","files":[],"formatVersion":2,"generation":99999999999999999999,"toolVersion":"v"}"#,
        #"{"createdAt":"2026-12-01T00:00:00Z","files":[],"formatVersion":2,"toolVersion":"v"}"#,
        "\u{FEFF}"
            + #"{"createdAt":"2026-12-01T00:00:00Z","files":[],"formatVersion":2,"generation":1,"toolVersion":"v"}"#,
        #"[]"#, "", "nul",
    ])
    func fallbackDecides(text: String) throws {
        let bytes = Array(text.utf8)
        #expect(throws: ManifestJSONReader.Unsupported.self) { try ManifestJSONReader.decode(bytes) }
        let expected = Result { () throws(ManifestError) in try Manifest.foundationDecoded(bytes) }
        let actual = Result { () throws(ManifestError) in try Manifest.decode(bytes) }
        switch (expected, actual) {
        case (.success(let foundation), .success(let ours)): #expect(ours == foundation)
        case (.success(let foundation), .failure(let error)):
            // Only the checks after decoding may refuse what JSONDecoder read.
            #expect(throws: ManifestError.self) { try Manifest.check(foundation) }
            _ = error
        case (.failure, .success(let ours)): Issue.record("decoded what JSONDecoder refuses: \(ours)")
        case (.failure, .failure): break
        }
    }

    @Test func truncatedManifestsNeverDecode() throws {
        let bytes = try Self.manifest(seed: 7).encoded()
        for cut in stride(from: 0, to: bytes.count - 1, by: max(1, bytes.count / 400)) {
            #expect(throws: ManifestError.self) { try Manifest.decode(Array(bytes[..<cut])) }
        }
    }

    @Test func writerRefusesNonFiniteNumbers() {
        var manifest = Self.manifest(seed: 3)
        manifest.files = [ManifestEntry(path: "a", size: 0, mode: 0o644, mtime: .nan)]
        #expect(throws: ManifestError.self) { try manifest.encoded() }
        manifest.files[0].mtime = .infinity
        #expect(throws: (any Error).self) { try manifest.foundationEncoded() }
        #expect(throws: ManifestError.self) { try manifest.encoded() }
    }
}

extension Manifest {
    /// The manifest as its JSON keeps it: ISO 8601 dates hold whole seconds.
    var withDateInWholeSeconds: Manifest {
        var copy = self
        copy.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
        return copy
    }
}
