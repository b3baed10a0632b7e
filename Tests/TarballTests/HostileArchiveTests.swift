import Foundation
import Hashing
import Tarball
import Testing

/// Archives built to attack the extractor: each must be refused with a clear error, write nothing outside the
/// staging directory, and leave the destination exactly as it was.
@Suite struct HostileArchiveTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var code: TarballError.Code
        /// Text the error message must contain (the offending entry).
        var mentions: String
        /// Builds the hostile entries; `outside` is a directory beside the destination that must stay empty.
        var entries: @Sendable (_ outside: String) -> [PythonTar.Entry]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "path traversal", code: .unsafeEntry, mentions: "../evil") { _ in
            [.init(name: "ok.txt", type: "file"), .init(name: "../evil", type: "file", data: "pwned")]
        },
        Case(name: "nested traversal", code: .unsafeEntry, mentions: "a/../../evil") { _ in
            [.init(name: "a/", type: "dir"), .init(name: "a/../../evil", type: "file", data: "pwned")]
        },
        Case(name: "absolute path", code: .unsafeEntry, mentions: "/evil") { outside in
            [.init(name: "ok.txt", type: "file"), .init(name: outside + "/evil", type: "file", data: "pwned")]
        },
        Case(name: "symlink to parent then write through it", code: .unsafeEntry, mentions: "link") { _ in
            [.init(name: "link", type: "symlink", target: ".."), .init(name: "link/evil", type: "file")]
        },
        Case(name: "absolute symlink then write through it", code: .unsafeEntry, mentions: "link") { outside in
            [.init(name: "link", type: "symlink", target: outside), .init(name: "link/evil", type: "file")]
        },
        Case(name: "symlink to /etc", code: .unsafeEntry, mentions: "/etc") { _ in
            [.init(name: "etc", type: "symlink", target: "/etc"), .init(name: "etc/evil", type: "file")]
        },
        Case(name: "symlink climbing through another symlink", code: .unsafeEntry, mentions: "sub/up/..") { _ in
            [
                .init(name: "sub/", type: "dir"), .init(name: "sub/up", type: "symlink", target: ".."),
                .init(name: "esc", type: "symlink", target: "sub/up/.."), .init(name: "esc/evil", type: "file"),
            ]
        },
        Case(name: "hard link to an absolute file", code: .unsafeEntry, mentions: "hl") { outside in
            [.init(name: "hl", type: "hardlink", target: outside + "/secret")]
        },
        Case(name: "hard link climbing out", code: .unsafeEntry, mentions: "../outside/secret") { _ in
            [.init(name: "hl", type: "hardlink", target: "../outside/secret")]
        },
        Case(name: "hard link through a symlink", code: .unsafeEntry, mentions: "hl") { _ in
            [
                .init(name: "l", type: "symlink", target: "."), .init(name: "hl", type: "hardlink", target: "l/x"),
            ]
        },
        Case(name: "device node", code: .unsupportedEntry, mentions: "dev/null-copy") { _ in
            [.init(name: "ok.txt", type: "file"), .init(name: "dev/null-copy", type: "chr")]
        },
        Case(name: "fifo", code: .unsupportedEntry, mentions: "pipe") { _ in
            [.init(name: "ok.txt", type: "file"), .init(name: "pipe", type: "fifo")]
        },
    ]

    @Test(arguments: cases)
    func hostileEntryIsRefusedAndChangesNothing(_ hostile: Case) throws {
        for gzip in [false, true] {
            let scratch = try Scratch()
            let outside = scratch.sub("outside")
            try Tree.mkdir(outside)
            try Tree.write(outside + "/secret", "do not touch", mode: 0o600)
            let destination = scratch.sub("dest")
            try Tree.write(destination + "/keep.txt", "previous content")
            try Tree.mkdir(destination + "/sub")
            let before = Tree.snapshot(destination)
            let outsideBefore = Tree.snapshot(outside)
            let archive = scratch.sub("hostile.tar")
            try PythonTar.make(archive, hostile.entries(outside), gzip: gzip)

            let error = #expect(throws: TarballError.self) {
                _ = try TarballReader().extract(archive: archive, into: destination)
            }
            #expect(error?.code == hostile.code, "\(error?.message ?? "")")
            #expect(error?.message.contains(hostile.mentions) == true, "\(error?.message ?? "")")
            #expect(Tree.snapshot(destination) == before)
            #expect(Tree.snapshot(outside) == outsideBefore)
            #expect(!Tree.exists(scratch.sub("evil")))
            #expect(!Tree.exists("/etc/evil"))
            #expect(Tree.stagingLeftovers(scratch.path).isEmpty)
        }
    }

    /// A tree of compressible, varied content, the destination with older content, and our tarball of it.
    private func prepared() throws -> (Scratch, archive: String, destination: String, before: [String: String]) {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        for i in 0..<20 {
            var text = ""
            for j in 0..<3000 { text += "file \(i) line \(j) value \(j * 7919 % 10007)\n" }
            try Tree.write(source + "/dir\(i % 3)/file\(i).txt", text)
        }
        let archive = scratch.sub("good.tar.zst")
        _ = try TarballWriter().write(directory: source, to: archive)
        let destination = scratch.sub("dest")
        try Tree.write(destination + "/keep.txt", "previous content")
        return (scratch, archive, destination, Tree.snapshot(destination))
    }

    @Test func truncatedArchiveIsRefused() throws {
        let (scratch, archive, destination, before) = try prepared()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        for fraction in [0.1, 0.5, 0.9] {
            let cut = scratch.sub("cut.tar.zst")
            try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: URL(fileURLWithPath: cut))
            let error = #expect(throws: TarballError.self) {
                _ = try TarballReader().extract(archive: cut, into: destination)
            }
            #expect(error?.code == .corrupted, "\(error?.message ?? "")")
            #expect(error?.message.contains("cut.tar.zst") == true)
            #expect(Tree.snapshot(destination) == before)
            #expect(Tree.stagingLeftovers(scratch.path).isEmpty)
        }
    }

    @Test func corruptedZstdFrameIsRefused() throws {
        let (scratch, archive, destination, before) = try prepared()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))
        for offset in stride(from: bytes.count / 3, to: bytes.count / 3 + 64, by: 1) { bytes[offset] ^= 0x5a }
        let bad = scratch.sub("bad.tar.zst")
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        let error = #expect(throws: TarballError.self) {
            _ = try TarballReader().extract(archive: bad, into: destination)
        }
        #expect(error?.code == .corrupted, "\(error?.message ?? "")")
        #expect(Tree.snapshot(destination) == before)
        #expect(Tree.stagingLeftovers(scratch.path).isEmpty)

        // A damaged frame header too.
        var header = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))
        header[0] ^= 0xff
        try Data(header).write(to: URL(fileURLWithPath: bad))
        #expect(throws: TarballError.self) { _ = try TarballReader().extract(archive: bad, into: destination) }
        #expect(Tree.snapshot(destination) == before)
    }

    @Test func checksumMismatchIsRefusedAfterAFullExtraction() throws {
        let (scratch, archive, destination, before) = try prepared()
        let wrong = String(repeating: "0", count: 64)
        let error = #expect(throws: TarballError.self) {
            _ = try TarballReader().extract(archive: archive, into: destination, expectedSHA256: wrong)
        }
        #expect(error?.code == .checksumMismatch)
        #expect(error?.message.contains(wrong) == true)
        #expect(Tree.snapshot(destination) == before)
        #expect(Tree.stagingLeftovers(scratch.path).isEmpty)

        let right = Hex.encode(try FileDigest.sha256(path: archive).digest)
        let summary = try TarballReader().extract(
            archive: archive, into: destination, expectedSHA256: right.uppercased())
        #expect(summary.sha256 == right)
        #expect(!Tree.exists(destination + "/keep.txt"))
        #expect(summary.files == 20)
    }

    @Test func archiveThatIsNotATarballIsRefused() throws {
        let (scratch, _, destination, before) = try prepared()
        let junk = scratch.sub("junk.tar.zst")
        try Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }).write(
            to: URL(fileURLWithPath: junk))
        let error = #expect(throws: TarballError.self) {
            _ = try TarballReader().extract(archive: junk, into: destination)
        }
        #expect(error?.code == .corrupted)
        #expect(Tree.snapshot(destination) == before)
        let missing = #expect(throws: TarballError.self) {
            _ = try TarballReader().extract(archive: scratch.sub("missing.tar.zst"), into: destination)
        }
        #expect(missing?.code == .io)
        #expect(missing?.message.contains("missing.tar.zst") == true)
    }

    @Test func writerRefusesASymlinkPointingOutsideTheTree() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.write(source + "/f", "x")
        symlink("/etc/passwd", source + "/abs")
        let error = #expect(throws: TarballError.self) {
            _ = try TarballWriter().write(directory: source, to: scratch.sub("out.tar.zst"))
        }
        #expect(error?.code == .unsafeEntry)
        #expect(error?.message.contains("abs") == true)
        #expect(!Tree.exists(scratch.sub("out.tar.zst")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["source"])
        // Excluding it makes the rest archivable.
        let summary = try TarballWriter(options: TarballOptions(excludes: ["abs"])).write(
            directory: source, to: scratch.sub("out.tar.zst"))
        #expect(summary.symlinks == 0 && summary.files == 1)
    }
}
