import Foundation
import Tarball
import Testing

/// Archives that are odd rather than hostile: replaced and duplicate entries, entries before their directories,
/// deep trees, sparse files. Each is restored the way `tar -x` would, or refused with the destination unchanged.
@Suite struct ExtractionEdgeCaseTests {
    private static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// Extracts `entries` into a scratch destination and runs `check` on its path.
    private func extract(_ entries: [PythonTar.Entry], check: (String) throws -> Void) throws {
        let scratch = try Scratch()
        let archive = scratch.sub("odd.tar")
        try PythonTar.make(archive, entries)
        let destination = scratch.sub("dest")
        _ = try TarballReader().extract(archive: archive, into: destination)
        try withExtendedLifetime(scratch) { try check(destination) }
    }

    private func refused(_ entries: [PythonTar.Entry]) throws -> (TarballError?, Scratch) {
        let scratch = try Scratch()
        let archive = scratch.sub("odd.tar")
        try PythonTar.make(archive, entries)
        let destination = scratch.sub("dest")
        try Tree.write(destination + "/keep.txt", "previous content")
        let before = Tree.snapshot(destination)
        let error = #expect(throws: TarballError.self) {
            _ = try TarballReader().extract(archive: archive, into: destination)
        }
        #expect(Tree.snapshot(destination) == before)
        #expect(Tree.stagingLeftovers(scratch.path).isEmpty)
        return (error, scratch)
    }

    @Test func aDuplicateFileEntryReplacesTheEarlierOne() throws {
        try extract([
            .init(name: "f", type: "file", data: "first"), .init(name: "f", type: "file", data: "second"),
        ]) { destination in
            #expect(Self.read(destination + "/f") == "second")
        }
    }

    @Test func aDirectoryEntryReplacesAnEarlierFileOrSymlink() throws {
        try extract([
            .init(name: "x", type: "file", data: "file"), .init(name: "x/", type: "dir", mode: 0o750),
            .init(name: "x/inner", type: "file", data: "inner"),
            .init(name: "s", type: "symlink", target: "."), .init(name: "s/", type: "dir"),
            .init(name: "s/f", type: "file", data: "in s"),
        ]) { destination in
            #expect(Tree.snapshot(destination, times: false)["x"] == "d 750 ")
            #expect(Self.read(destination + "/x/inner") == "inner")
            // `s` is a real directory now; nothing went through the old link.
            #expect(Tree.snapshot(destination, times: false)["s"] == "d 644 ")
            #expect(Self.read(destination + "/s/f") == "in s")
            #expect(!Tree.exists(destination + "/f"))
        }
    }

    @Test func aFileReplacesAnEarlierEmptyDirectoryButNotAFullOne() throws {
        try extract([
            .init(name: "d/", type: "dir"), .init(name: "d", type: "file", data: "now a file"),
        ]) { destination in
            #expect(Self.read(destination + "/d") == "now a file")
        }

        let (error, _) = try refused([
            .init(name: "d/", type: "dir"), .init(name: "d/child", type: "file"),
            .init(name: "d", type: "file", data: "in the way"),
        ])
        #expect(error?.code == .io, "\(error?.message ?? "")")
        #expect(error?.message.contains("d") == true)
    }

    @Test func anEntryBelowARegularFileIsRefused() throws {
        let (error, _) = try refused([
            .init(name: "f", type: "file"), .init(name: "f/x", type: "file"),
        ])
        #expect(error?.code == .io, "\(error?.message ?? "")")
        #expect(error?.message.contains("f/x") == true, "\(error?.message ?? "")")
    }

    @Test func entriesBeforeTheirDirectoriesGetTheDirectoryModeLast() throws {
        try extract([
            .init(name: "ro/sub/f", type: "file", data: "deep"), .init(name: "ro/sub/", type: "dir", mode: 0o555),
            .init(name: "ro/", type: "dir", mode: 0o500), .init(name: "ro/g", type: "file", data: "late"),
            .init(name: "implicit/a/b", type: "file", data: "no directory entries"),
        ]) { destination in
            #expect(Tree.mode(destination + "/ro") == 0o500)
            #expect(Tree.mode(destination + "/ro/sub") == 0o555)
            #expect(Self.read(destination + "/ro/sub/f") == "deep")
            #expect(Self.read(destination + "/ro/g") == "late")
            #expect(
                Self.read(destination + "/implicit/a/b") == "no directory entries")
            // Directory times are those of the archive (1700000000), set after their children were made.
            #expect(Tree.snapshot(destination)["ro/sub"] == "d 555 1700000000.0")
            #expect(Tree.snapshot(destination)["ro"] == "d 500 1700000000.0")
        }
    }

    @Test func aDeepTreeRoundTrips() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        var path = source
        for depth in 0..<64 {
            path += "/level\(depth)"
            try Tree.write(path + "/file.txt", "depth \(depth)\n")
        }
        try Tree.mkdir(path + "/empty-at-the-bottom", mode: 0o700)
        try Tree.write(source + "/level0/sibling", "after the deep branch\n")
        let archive = scratch.sub("deep.tar.zst")
        let written = try TarballWriter().write(directory: source, to: archive)
        let restored = scratch.sub("restored")
        let extracted = try TarballReader().extract(archive: archive, into: restored)
        #expect(Tree.snapshot(restored) == Tree.snapshot(source))
        #expect(extracted.files == 65 && extracted.directories == written.directories)
        withExtendedLifetime(scratch) {}
    }

    @Test func aSparseFileFromGNUTarKeepsItsSizeAndHoles() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.write(source + "/small", "not sparse\n")
        let sparse = source + "/sparse.img"
        try Tree.write(sparse, "")
        #expect(truncate(sparse, 8 << 20) == 0)  // ends with a hole: the extractor must restore the size
        let writer = try #require(FileHandle(forWritingAtPath: sparse))
        try writer.seek(toOffset: 1 << 20)
        try writer.write(contentsOf: Data("data in the middle".utf8))
        try writer.close()
        let archive = scratch.sub("sparse.tar")
        let tar = ["/usr/bin/tar", "/bin/tar"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "tar"
        try #require(Process.run(tar, ["--sparse", "-cf", archive, "-C", source, "."]).status == 0)
        let restored = scratch.sub("restored")
        _ = try TarballReader().extract(archive: archive, into: restored)
        #expect(Tree.snapshot(restored, nanoseconds: false) == Tree.snapshot(source, nanoseconds: false))
        var info = stat()
        #expect(stat(restored + "/sparse.img", &info) == 0 && info.st_size == 8 << 20)
        withExtendedLifetime(scratch) {}
    }
}
