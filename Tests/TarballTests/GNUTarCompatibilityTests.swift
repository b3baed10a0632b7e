import Foundation
import Tarball
import Testing

@Suite struct GNUTarCompatibilityTests {
    static let tar = "/usr/bin/tar"

    @Test func gnuTarListsAndExtractsOurTarballs() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.makeRich(source)
        let archive = scratch.sub("out.tar.zst")
        _ = try TarballWriter().write(directory: source, to: archive)

        let listed = Process.run(Self.tar, ["--zstd", "-tf", archive])
        #expect(listed.status == 0)
        let names = Set(listed.output.split(separator: "\n").map(String.init))
        #expect(names.contains("héllo wörld 日本語.txt"))
        #expect(names.contains(String(repeating: "n", count: 200)))
        #expect(names.contains("empty/"))
        #expect(names.contains("a/b/up-link"))

        let restored = scratch.sub("gnu")
        try Tree.mkdir(restored)
        let extracted = Process.run(Self.tar, ["--zstd", "-xf", archive, "-C", restored])
        #expect(extracted.status == 0)
        #expect(Tree.snapshot(restored) == Tree.snapshot(source))
        #expect(Tree.inode(restored + "/hard-a") == Tree.inode(restored + "/a/hard-b"))
    }

    @Test(arguments: [
        ["--zstd", "-cf"], ["-czf"], ["--posix", "-cf"], ["-cf"], ["--posix", "--zstd", "-cf"],
    ])
    func weRestoreTarballsMadeByGNUTar(flags: [String]) throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.makeRich(source)
        let archive = scratch.sub("gnu.tar")
        let made = Process.run(Self.tar, flags + [archive, "-C", source, "."])
        try #require(made.status == 0)

        let restored = scratch.sub("restored")
        let summary = try TarballReader().extract(archive: archive, into: restored)

        // GNU tar's own format keeps whole seconds only; pax keeps nanoseconds.
        let exact = flags.contains("--posix")
        #expect(Tree.snapshot(restored, nanoseconds: exact) == Tree.snapshot(source, nanoseconds: exact))
        #expect(Tree.inode(restored + "/hard-a") == Tree.inode(restored + "/a/hard-b"))
        #expect(summary.files == 8)
        #expect(summary.symlinks == 4)
    }

    @Test func weRestoreATarballMadeWithAPrefixDirectory() throws {
        // `tar -cf x.tar storage` (not `-C storage .`) stores `storage/...`: extracted as is, one level down.
        let scratch = try Scratch()
        try Tree.write(scratch.sub("storage/f.json"), "{}")
        let archive = scratch.sub("gnu.tar.gz")
        try #require(Process.run(Self.tar, ["-czf", archive, "-C", scratch.path, "storage"]).status == 0)
        let restored = scratch.sub("restored")
        _ = try TarballReader().extract(archive: archive, into: restored)
        #expect(Tree.exists(restored + "/storage/f.json"))
    }
}
