import Foundation
import Tarball
import Testing

@Suite struct ExcludeTests {
    @Test func patternWithoutSlashMatchesANameAtAnyDepth() {
        let matcher = ExcludeMatcher(patterns: ["*.log"])
        #expect(matcher.matches("a.log", isDirectory: false))
        #expect(matcher.matches("x/y/z/b.log", isDirectory: false))
        #expect(!matcher.matches("a.log.txt", isDirectory: false))
        #expect(!matcher.matches("logs/a.txt", isDirectory: false))
    }

    @Test func trailingSlashMatchesDirectoriesOnly() {
        let matcher = ExcludeMatcher(patterns: ["tmp/"])
        #expect(matcher.matches("tmp", isDirectory: true))
        #expect(matcher.matches("a/tmp", isDirectory: true))
        #expect(!matcher.matches("tmp", isDirectory: false))
        #expect(matcher.excludes("tmp/inside/file", isDirectory: false))
        #expect(!matcher.excludes("tmpfile", isDirectory: false))
    }

    @Test func leadingOrMiddleSlashAnchorsAtTheRoot() {
        let anchored = ExcludeMatcher(patterns: ["/build"])
        #expect(anchored.matches("build", isDirectory: true))
        #expect(!anchored.matches("sub/build", isDirectory: true))
        let middle = ExcludeMatcher(patterns: ["cache/*.tmp"])
        #expect(middle.matches("cache/a.tmp", isDirectory: false))
        #expect(!middle.matches("x/cache/a.tmp", isDirectory: false))
        #expect(!middle.matches("cache/sub/a.tmp", isDirectory: false))
    }

    @Test func doubleStarSpansDirectories() {
        let matcher = ExcludeMatcher(patterns: ["**/*.db-shm", "logs/**", "a/**/z"])
        #expect(matcher.matches("opencode.db-shm", isDirectory: false))
        #expect(matcher.matches("deep/er/opencode.db-shm", isDirectory: false))
        #expect(!matcher.matches("opencode.db", isDirectory: false))
        #expect(matcher.matches("logs/x", isDirectory: false))
        #expect(matcher.matches("logs/x/y", isDirectory: false))
        #expect(!matcher.matches("logs", isDirectory: true))
        #expect(matcher.matches("a/z", isDirectory: false))
        #expect(matcher.matches("a/b/c/z", isDirectory: false))
        #expect(!matcher.matches("b/a/z", isDirectory: false))
    }

    @Test func negationReincludesAndTheLastMatchWins() {
        let matcher = ExcludeMatcher(patterns: ["*.json", "!keep.json", "# a comment", ""])
        #expect(matcher.matches("a.json", isDirectory: false))
        #expect(!matcher.matches("keep.json", isDirectory: false))
        #expect(!matcher.matches("sub/keep.json", isDirectory: false))
        let reexcluded = ExcludeMatcher(patterns: ["*.json", "!keep.json", "sub/keep.json"])
        #expect(reexcluded.matches("sub/keep.json", isDirectory: false))
        #expect(!reexcluded.matches("keep.json", isDirectory: false))
        #expect(ExcludeMatcher(patterns: ["# only a comment"]).isEmpty)
    }

    @Test func writerLeavesExcludedPathsOut() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.write(source + "/keep.json", "{}")
        try Tree.write(source + "/debug.log", "noise")
        try Tree.write(source + "/deep/er/trace.log", "noise")
        try Tree.write(source + "/tmp/scratch.bin", "noise")
        try Tree.write(source + "/sub/tmp/scratch.bin", "noise")
        try Tree.write(source + "/tmp-not-a-dir/tmp", "a file named tmp stays")
        try Tree.write(source + "/opencode.db", "db")
        try Tree.write(source + "/opencode.db-shm", "shm")
        try Tree.write(source + "/nested/x.db-shm", "shm")
        let archive = scratch.sub("out.tar.zst")
        let summary = try TarballWriter(options: TarballOptions(excludes: ["*.log", "tmp/", "**/*.db-shm"])).write(
            directory: source, to: archive)
        let names = Set(try TarballReader().list(archive: archive))
        #expect(
            names == [
                "deep/", "deep/er/", "keep.json", "nested/", "opencode.db", "sub/", "tmp-not-a-dir/",
                "tmp-not-a-dir/tmp",
            ], "\(names.sorted())")
        #expect(summary.files == 3)

        let restored = scratch.sub("restored")
        _ = try TarballReader().extract(archive: archive, into: restored)
        #expect(!Tree.exists(restored + "/tmp"))
        #expect(!Tree.exists(restored + "/debug.log"))
        #expect(Tree.exists(restored + "/tmp-not-a-dir/tmp"))
    }
}
