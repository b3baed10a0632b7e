import Foundation
import Hashing
import Tarball
import Testing

@Suite struct RoundTripTests {
    @Test func richTreeRoundTripsContentModesTimesAndLinks() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.makeRich(source)
        let archive = scratch.sub("out.tar.zst")
        let written = try TarballWriter().write(directory: source, to: archive)
        let restored = scratch.sub("restored")
        let extracted = try TarballReader().extract(archive: archive, into: restored)

        #expect(Tree.snapshot(restored) == Tree.snapshot(source))
        #expect(Tree.mode(restored + "/a/run.sh") == 0o755)
        #expect(Tree.mode(restored + "/a/secret") == 0o600)
        #expect(Tree.mode(restored + "/outer/inner-empty") == 0o700)
        #expect(Tree.exists(restored + "/empty"))
        #expect(Tree.inode(restored + "/hard-a") == Tree.inode(restored + "/a/hard-b"))
        #expect(Tree.inode(restored + "/hard-a") != Tree.inode(source + "/hard-a"))
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: restored + "/a/b/up-link") == "../secret")

        let digest = try FileDigest.sha256(path: archive)
        #expect(written.sha256 == Hex.encode(digest.digest))
        #expect(written.compressedBytes == digest.size)
        #expect(extracted.sha256 == written.sha256)
        #expect(written.symlinks == 4)
        #expect(written.files == 8)  // the hard link counts once
        #expect(extracted.files == written.files)
        #expect(extracted.directories == written.directories)
        #expect(extracted.contentBytes == written.contentBytes)
        #expect(Tree.stagingLeftovers(scratch.path).isEmpty)
    }

    @Test func extractReplacesAnExistingDestinationAndRemovesTheOldTree() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.makeRich(source)
        let archive = scratch.sub("out.tar.zst")
        _ = try TarballWriter().write(directory: source, to: archive)
        let destination = scratch.sub("dest")
        try Tree.write(destination + "/old-only.txt", "old")
        try Tree.mkdir(destination + "/read-only-dir", mode: 0o555)

        _ = try TarballReader().extract(archive: archive, into: destination)

        #expect(Tree.snapshot(destination) == Tree.snapshot(source))
        #expect(!Tree.exists(destination + "/old-only.txt"))
        #expect(Tree.stagingLeftovers(scratch.path).isEmpty)
    }

    @Test func extractKeepsThePrivateModeOfAnExistingDestination() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.write(source + "/f", "x")
        let archive = scratch.sub("out.tar.zst")
        _ = try TarballWriter().write(directory: source, to: archive)
        let destination = scratch.sub("dest")
        try Tree.mkdir(destination, mode: 0o700)
        _ = try TarballReader().extract(archive: archive, into: destination)
        #expect(Tree.mode(destination) == 0o700)
        let fresh = scratch.sub("fresh/nested/dest")
        _ = try TarballReader().extract(archive: archive, into: fresh)
        #expect(Tree.mode(fresh) == 0o755)
        #expect(Tree.exists(fresh + "/f"))
    }

    @Test func extractOntoAFileIsRefusedAndLeavesTheFile() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.write(source + "/f", "x")
        let archive = scratch.sub("out.tar.zst")
        _ = try TarballWriter().write(directory: source, to: archive)
        try Tree.write(scratch.sub("file"), "not a directory")
        let error = #expect(throws: TarballError.self) {
            _ = try TarballReader().extract(archive: archive, into: scratch.sub("file"))
        }
        #expect(error?.code == .notADirectory)
        #expect(try String(contentsOfFile: scratch.sub("file"), encoding: .utf8) == "not a directory")
        #expect(Tree.stagingLeftovers(scratch.path).isEmpty)
    }

    @Test func tarballWrittenInsideTheTreeDoesNotContainItself() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.write(source + "/f", "x")
        _ = try TarballWriter().write(directory: source, to: source + "/self.tar.zst")
        #expect(try TarballReader().list(archive: source + "/self.tar.zst") == ["f"])
    }

    @Test func gzipAndUncompressedRoundTrip() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.makeRich(source)
        for (index, compression) in [TarballCompression.gzip(), .gzip(level: 1), .none].enumerated() {
            let archive = scratch.sub("out-\(index).tar")
            _ = try TarballWriter(options: TarballOptions(compression: compression)).write(
                directory: source, to: archive)
            let restored = scratch.sub("restored-\(index)")
            _ = try TarballReader().extract(archive: archive, into: restored)
            #expect(Tree.snapshot(restored) == Tree.snapshot(source), "\(compression)")
        }
    }

    @Test func streamingSinkProducesTheSameBytesAsTheFile() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.makeRich(source)
        var streamed: [UInt8] = []
        var blocks = 0
        let summary = try TarballWriter().write(directory: source) { block in
            streamed.append(contentsOf: block)
            blocks += 1
        }
        let archive = scratch.sub("out.tar.zst")
        let fileSummary = try TarballWriter().write(directory: source, to: archive)
        #expect(blocks > 0)
        #expect(Digest.sha256Hex(streamed) == summary.sha256)
        #expect(summary.sha256 == fileSummary.sha256)
        #expect(Int64(streamed.count) == summary.compressedBytes)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: archive))) == streamed)
    }

    @Test func aFailingSinkStopsTheWriteWithAnIOError() throws {
        struct Boom: Error {}
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.makeRich(source)
        let error = #expect(throws: TarballError.self) {
            _ = try TarballWriter().write(directory: source) { _ in throw Boom() }
        }
        #expect(error?.code == .io)
    }

    @Test func writingAMissingDirectoryFailsWithNotADirectory() throws {
        let scratch = try Scratch()
        let error = #expect(throws: TarballError.self) {
            _ = try TarballWriter().write(directory: scratch.sub("missing"), to: scratch.sub("x.tar.zst"))
        }
        #expect(error?.code == .notADirectory)
        #expect(error?.message.contains("missing") == true)
        #expect(!Tree.exists(scratch.sub("x.tar.zst")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }

    @Test func setuidAndSetgidBitsAreStrippedOnExtract() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.write(source + "/suid", "x", mode: 0o4755)
        try Tree.write(source + "/sgid", "x", mode: 0o2750)
        try Tree.mkdir(source + "/sgid-dir", mode: 0o2775)
        let archive = scratch.sub("out.tar.zst")
        _ = try TarballWriter().write(directory: source, to: archive)
        let restored = scratch.sub("restored")
        _ = try TarballReader().extract(archive: archive, into: restored)
        #expect(Tree.mode(restored + "/suid") == 0o755)
        #expect(Tree.mode(restored + "/sgid") == 0o750)
        #expect(Tree.mode(restored + "/sgid-dir") == 0o775)
    }

    @Test func leftoverStagingFromACrashIsRemovedByTheNextExtract() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.write(source + "/f", "new")
        let archive = scratch.sub("out.tar.zst")
        _ = try TarballWriter().write(directory: source, to: archive)
        let crashed = scratch.sub(".dest.sc-staging-0123456789abcdef")
        try Tree.write(crashed + "/half/written", "partial")
        try Tree.mkdir(crashed + "/locked", mode: 0o500)
        let unrelated = scratch.sub(".other.sc-staging-0123456789abcdef")
        try Tree.mkdir(unrelated)

        _ = try TarballReader().extract(archive: archive, into: scratch.sub("dest"))

        #expect(!Tree.exists(crashed))
        #expect(Tree.exists(unrelated))  // another destination's staging is not ours to remove
        #expect(Tree.snapshot(scratch.sub("dest")) == Tree.snapshot(source))
    }

    @Test func sameTreeTwiceGivesTheSameSHA256() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.makeRich(source)
        let first = try TarballWriter().write(directory: source, to: scratch.sub("1.tar.zst"))
        let second = try TarballWriter().write(directory: source, to: scratch.sub("2.tar.zst"))
        #expect(first.sha256 == second.sha256)
        // Thread count does not change the bytes either.
        let one = try TarballWriter(options: TarballOptions(compression: .zstd(level: 3, threads: 1))).write(
            directory: source, to: scratch.sub("3.tar.zst"))
        let four = try TarballWriter(options: TarballOptions(compression: .zstd(level: 3, threads: 4))).write(
            directory: source, to: scratch.sub("4.tar.zst"))
        #expect(one.sha256 == four.sha256)
        let gz1 = try TarballWriter(options: TarballOptions(compression: .gzip())).write(
            directory: source, to: scratch.sub("1.tar.gz"))
        sleep(1)
        let gz2 = try TarballWriter(options: TarballOptions(compression: .gzip())).write(
            directory: source, to: scratch.sub("2.tar.gz"))
        #expect(gz1.sha256 == gz2.sha256)
        // A changed mtime changes the archive.
        Tree.touch(source + "/zero", seconds: 1_600_000_000)
        let third = try TarballWriter().write(directory: source, to: scratch.sub("5.tar.zst"))
        #expect(third.sha256 != first.sha256)
    }

    @Test func entriesAreSortedAndOwnedByRoot() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        for name in ["b", "a", "c/z", "c/a", "B"] { try Tree.write(source + "/" + name, name) }
        let archive = scratch.sub("out.tar")
        _ = try TarballWriter(options: TarballOptions(compression: .none)).write(directory: source, to: archive)
        let names = try TarballReader().list(archive: archive)
        #expect(names == ["B", "a", "b", "c/", "c/a", "c/z"], "\(names)")
        let verbose = Process.run("/usr/bin/tar", ["--numeric-owner", "-tvf", archive])
        #expect(verbose.status == 0)
        for line in verbose.output.split(separator: "\n") { #expect(line.contains(" 0/0 "), "\(line)") }
    }

    @Test func compressionLevelIsApplied() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        var text = ""
        for i in 0..<40000 { text += "line \(i) \(i * 7919 % 1000) of some compressible text\n" }
        try Tree.write(source + "/big.txt", text)
        let fast = try TarballWriter(options: TarballOptions(compression: .zstd(level: 1))).write(
            directory: source, to: scratch.sub("1.tar.zst"))
        let strong = try TarballWriter(options: TarballOptions(compression: .zstd(level: 19))).write(
            directory: source, to: scratch.sub("19.tar.zst"))
        #expect(strong.compressedBytes < fast.compressedBytes)
    }
}
