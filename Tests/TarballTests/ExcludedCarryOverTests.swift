import Foundation
import Tarball
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A restore keeps the host's excluded paths (what the save left out) and replaces everything else.
@Suite struct ExcludedCarryOverTests {
    static let opencode = ["auth.json", "mcp-auth.json", "/log/"]

    /// Archives `source` (saved with `excludes`) and extracts it over `destination` keeping `excludes`.
    func restore(_ source: String, over destination: String, excludes: [String], scratch: Scratch) throws {
        let archive = scratch.sub("a-\(UUID().uuidString).tar.zst")
        try TarballWriter(options: TarballOptions(excludes: excludes)).write(directory: source, to: archive)
        try TarballReader(keepExcluded: excludes).extract(archive: archive, into: destination)
    }

    @Test func keepsExcludedFilesDirectoriesAndSymlinks() throws {
        let scratch = try Scratch()
        let source = scratch.sub("saved")
        try Tree.write(source + "/a.txt", "new a")
        try Tree.write(source + "/sub/b.txt", "new b")
        let destination = scratch.sub("host")
        try Tree.write(destination + "/a.txt", "old a")
        try Tree.write(destination + "/stale.txt", "not in the save")
        try Tree.write(destination + "/auth.json", "{\"key\":1}", mode: 0o600)
        try Tree.write(destination + "/log/2026.log", "line")
        try Tree.write(destination + "/log/deep/x.log", "deep")
        try Tree.mkdir(destination + "/log/empty", mode: 0o700)
        Tree.touch(destination + "/log/deep", seconds: 1_700_000_000)
        #expect(symlink("auth.json", destination + "/mcp-auth.json") == 0)
        let authInode = Tree.inode(destination + "/auth.json")
        let before = Tree.snapshot(destination)

        try restore(source, over: destination, excludes: Self.opencode, scratch: scratch)

        let after = Tree.snapshot(destination)
        #expect(try String(contentsOfFile: destination + "/a.txt", encoding: .utf8) == "new a")
        #expect(try String(contentsOfFile: destination + "/sub/b.txt", encoding: .utf8) == "new b")
        #expect(!Tree.exists(destination + "/stale.txt"))
        for kept in ["auth.json", "mcp-auth.json", "log", "log/2026.log", "log/deep", "log/deep/x.log", "log/empty"] {
            #expect(after[kept] == before[kept], "\(kept)")
        }
        #expect(Tree.inode(destination + "/auth.json") == authInode, "hard-linked, not copied")
        #expect(Tree.mode(destination + "/auth.json") == 0o600)
        #expect(Tree.stagingLeftovers(scratch.path).isEmpty)
    }

    @Test func keepsNestedExcludedPathsUnderIncludedDirectories() throws {
        let scratch = try Scratch()
        let source = scratch.sub("saved")
        try Tree.write(source + "/project/notes.md", "new")
        let destination = scratch.sub("host")
        try Tree.write(destination + "/project/notes.md", "old")
        try Tree.write(destination + "/project/auth.json", "nested credential")
        try Tree.write(destination + "/gone/auth.json", "under a directory the save no longer has")
        try Tree.write(destination + "/gone/other.txt", "replaced away")
        try Tree.write(destination + "/project/log/x.log", "only /log/ at the root is excluded")
        Tree.touch(destination + "/gone", seconds: 1_600_000_000)

        try restore(source, over: destination, excludes: Self.opencode, scratch: scratch)

        #expect(try String(contentsOfFile: destination + "/project/notes.md", encoding: .utf8) == "new")
        #expect(try String(contentsOfFile: destination + "/project/auth.json", encoding: .utf8) == "nested credential")
        #expect(Tree.exists(destination + "/gone/auth.json"))
        #expect(!Tree.exists(destination + "/gone/other.txt"))
        #expect(!Tree.exists(destination + "/project/log"))
        var info = stat()
        lstat(destination + "/gone", &info)
        #expect(info.st_mtim.tv_sec == 1_600_000_000, "a directory made for a kept path has its old time")
    }

    @Test func restoredTreeWins() throws {
        let scratch = try Scratch()
        let source = scratch.sub("saved")
        try Tree.write(source + "/auth.json", "restored")
        try Tree.write(source + "/log/restored.log", "restored")
        try Tree.write(source + "/cache/db", "restored file")
        let destination = scratch.sub("host")
        try Tree.write(destination + "/auth.json", "host")
        try Tree.write(destination + "/log/host.log", "host")
        try Tree.write(destination + "/cache/db/auth.json", "below a restored file: not kept")
        try Tree.write(destination + "/linked/auth.json", "below a restored symlink: not kept")
        try Tree.mkdir(source + "/target")
        #expect(symlink("target", source + "/linked") == 0)
        // Saved without excludes (an older save, or include-credentials), restored keeping them.
        let archive = scratch.sub("a.tar.zst")
        try TarballWriter().write(directory: source, to: archive)
        try TarballReader(keepExcluded: Self.opencode).extract(archive: archive, into: destination)

        #expect(try String(contentsOfFile: destination + "/auth.json", encoding: .utf8) == "restored")
        #expect(Tree.exists(destination + "/log/restored.log"))
        #expect(Tree.exists(destination + "/log/host.log"), "an excluded directory both hold is merged")
        #expect(try String(contentsOfFile: destination + "/cache/db", encoding: .utf8) == "restored file")
        #expect(!Tree.exists(destination + "/target/auth.json"), "never written through a restored symlink")
        #expect(Tree.snapshot(destination + "/target").isEmpty)
    }

    @Test func staleCompanionsOfRestoredDatabasesAreNotKept() throws {
        let scratch = try Scratch()
        let source = scratch.sub("saved")
        try Tree.write(source + "/opencode.db", "restored database")
        let destination = scratch.sub("host")
        try Tree.write(destination + "/opencode.db", "old database")
        for suffix in ["-wal", "-shm", "-journal"] {
            try Tree.write(destination + "/opencode.db" + suffix, "stale")
            try Tree.write(destination + "/orphan.db" + suffix, "no database anywhere")
            try Tree.write(destination + "/keep/own.db" + suffix, "companion of a kept database")
        }
        try Tree.write(destination + "/keep/own.db", "a database the save excluded")
        let excludes = Self.opencode + ["*-wal", "*-shm", "*-journal", "/keep/"]

        try restore(source, over: destination, excludes: excludes, scratch: scratch)

        #expect(try String(contentsOfFile: destination + "/opencode.db", encoding: .utf8) == "restored database")
        for suffix in ["-wal", "-shm", "-journal"] {
            #expect(!Tree.exists(destination + "/opencode.db" + suffix), "stale \(suffix) removed")
            #expect(!Tree.exists(destination + "/orphan.db" + suffix))
            #expect(Tree.exists(destination + "/keep/own.db" + suffix), "kept with its database")
        }
        #expect(Tree.exists(destination + "/keep/own.db"))
    }

    @Test func withoutExcludesNothingIsKept() throws {
        let scratch = try Scratch()
        let source = scratch.sub("saved")
        try Tree.write(source + "/a.txt", "a")
        let destination = scratch.sub("host")
        try Tree.write(destination + "/auth.json", "host")
        let archive = scratch.sub("a.tar.zst")
        try TarballWriter().write(directory: source, to: archive)
        try TarballReader().extract(archive: archive, into: destination)
        #expect(!Tree.exists(destination + "/auth.json"))
        #expect(Tree.exists(destination + "/a.txt"))
    }

    @Test func failedRestoreLeavesTheOldTreeWhole() throws {
        let scratch = try Scratch()
        let source = scratch.sub("saved")
        try Tree.write(source + "/a.txt", "new")
        let destination = scratch.sub("host")
        try Tree.write(destination + "/a.txt", "old")
        try Tree.write(destination + "/auth.json", "host")
        try Tree.write(destination + "/log/x.log", "host")
        let before = Tree.snapshot(destination)
        let archive = scratch.sub("a.tar.zst")
        try TarballWriter().write(directory: source, to: archive)
        // A checksum mismatch found after the whole extraction: nothing is carried, nothing moves.
        #expect(throws: TarballError.self) {
            try TarballReader(keepExcluded: Self.opencode).extract(
                archive: archive, into: destination, expectedSHA256: String(repeating: "0", count: 64))
        }
        #expect(Tree.snapshot(destination) == before)
        #expect(Tree.stagingLeftovers(scratch.path).isEmpty)
    }

    @Test func carryLeavesTheOldTreeUntouched() throws {
        // What a SIGKILL between the carry-over and the swap leaves: the old tree as it was, links in staging.
        let scratch = try Scratch()
        let old = scratch.sub("old")
        try Tree.write(old + "/auth.json", "host")
        try Tree.write(old + "/log/x.log", "host")
        try Tree.write(old + "/a.txt", "old")
        let staging = scratch.sub("staging")
        try Tree.write(staging + "/a.txt", "new")
        let before = Tree.snapshot(old)
        let carried = try ExcludedCarryOver(patterns: Self.opencode).carry(from: old, into: staging)
        #expect(carried == 3)
        #expect(Tree.snapshot(old) == before)
        #expect(Tree.inode(staging + "/log/x.log") == Tree.inode(old + "/log/x.log"))
        try FileManager.default.removeItem(atPath: staging)
        #expect(Tree.snapshot(old) == before, "discarding the staging tree keeps the originals")
        #expect(try ExcludedCarryOver(patterns: Self.opencode).carry(from: scratch.sub("missing"), into: old) == 0)
    }

    @Test func stagedReplacementKeepsExcludedPaths() throws {
        let scratch = try Scratch()
        let destination = scratch.sub("host")
        try Tree.write(destination + "/auth.json", "host")
        try Tree.write(destination + "/old.txt", "old")
        let staged = try StagedReplacement(destination: destination)
        try Tree.write(staged.path + "/new.txt", "new")
        try staged.commit(keepExcluded: Self.opencode)
        #expect(Tree.exists(destination + "/auth.json"))
        #expect(Tree.exists(destination + "/new.txt"))
        #expect(!Tree.exists(destination + "/old.txt"))
    }
}
