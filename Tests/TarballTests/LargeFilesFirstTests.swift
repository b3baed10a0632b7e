import Foundation
import Tarball
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Files of 1 MiB and more lead the archive (their writeback then overlaps the small files' extraction); the
/// rest keeps the sorted walk, and both extractors rebuild the same tree from that order.
@Suite struct LargeFilesFirstTests {
    static let mebibyte = 1 << 20

    /// Large files in a read-only directory with set times, a large hard link pair, a large excluded file and a
    /// large skipped path, among small files.
    static func makeTree(_ source: String) throws {
        try Tree.write(source + "/a", "small a")
        try Tree.write(source + "/m/big.bin", String(repeating: "m", count: mebibyte + 1))
        try Tree.write(source + "/m/small", "small m")
        try Tree.write(source + "/z/huge", String(repeating: "z", count: 2 * mebibyte))
        try Tree.write(source + "/z/small", "small z")
        try Tree.write(source + "/skip/x.bin", String(repeating: "x", count: 2 * mebibyte))
        try Tree.write(source + "/left-out.bin", String(repeating: "l", count: 2 * mebibyte))
        try Tree.write(source + "/edge.bin", String(repeating: "e", count: mebibyte - 1))
        #expect(link(source + "/z/huge", source + "/a-link") == 0)
        Tree.touch(source + "/m/big.bin", seconds: 1_500_000_000, nanoseconds: 123_456_789)
        chmod(source + "/m", 0o555)
        Tree.touch(source + "/m", seconds: 1_400_000_000)
        Tree.touch(source + "/z", seconds: 1_450_000_000, nanoseconds: 5)
    }

    static let options = TarballOptions(excludes: ["skip/"], skipPaths: ["left-out.bin"])

    @Test func largeFilesComeFirstInSortedOrderThenTheSortedWalk() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Self.makeTree(source)
        let archive = scratch.sub("out.tar.zst")
        _ = try TarballWriter(options: Self.options).write(directory: source, to: archive)
        let names = try TarballReader().list(archive: archive)
        #expect(
            names == ["a-link", "m/big.bin", "z/huge", "a", "edge.bin", "m/", "m/small", "z/", "z/small"],
            "\(names)")
        // The second name of the large inode is a hard link to the first, not a second copy.
        let verbose = Process.run("/usr/bin/tar", ["--zstd", "-tvf", archive])
        #expect(verbose.output.contains("z/huge link to a-link"), "\(verbose.output)")
    }

    @Test func bothExtractorsRebuildTheTreeWithDirectoryModesAndTimes() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Self.makeTree(source)
        let archive = scratch.sub("out.tar.zst")
        let summary = try TarballWriter(options: Self.options).write(directory: source, to: archive)
        #expect(summary.files == 6)
        var expected = Tree.snapshot(source)
        for gone in ["skip", "skip/x.bin", "left-out.bin"] { expected[gone] = nil }

        let ours = scratch.sub("ours")
        let extracted = try TarballReader().extract(archive: archive, into: ours)
        #expect(extracted.files == 6)
        #expect(Tree.snapshot(ours) == expected)
        #expect(Tree.inode(ours + "/a-link") == Tree.inode(ours + "/z/huge"))

        let gnu = scratch.sub("gnu")
        try Tree.mkdir(gnu)
        let status = Process.run("/usr/bin/tar", ["--zstd", "-xf", archive, "-C", gnu]).status
        #expect(status == 0)
        #expect(Tree.snapshot(gnu) == expected)
        #expect(Tree.inode(gnu + "/a-link") == Tree.inode(gnu + "/z/huge"))
    }

    @Test func theOrderIsDeterministic() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Self.makeTree(source)
        let first = try TarballWriter(options: Self.options).write(directory: source, to: scratch.sub("1.tar.zst"))
        let second = try TarballWriter(options: Self.options).write(directory: source, to: scratch.sub("2.tar.zst"))
        #expect(first.sha256 == second.sha256)
    }
}
