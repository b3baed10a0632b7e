import Foundation
import Testing

/// A restore keeps excluded paths even where they cannot be hard-linked: a file system mounted inside the
/// destination (`log/` on a tmpfs, in a private mount namespace: `unshare -mn`). Files are copied, symlinks
/// recreated; an entry that can be neither (a fifo) stops the restore and the destination stays the old tree.
@Suite(.enabled(if: NetworkNamespace.mountFlags != nil || S3TestEnvironment.isCI))
struct RestoreKeepsAcrossMountsTests {
    /// Saves a small tree into a local cache, then runs `script` in a mount namespace with `$BIN`, `$HOST`,
    /// `$CACHE` set; returns its output and the scratch directory.
    func run(_ label: String, _ script: String) throws -> (output: ProcessOutput, scratch: String) {
        let unshare = try #require(NetworkNamespace.unshare)
        let flags = try #require(NetworkNamespace.mountFlags, "unshare -mn does not work here")
        let scratch = NSTemporaryDirectory() + "keep-mount-\(label)-\(UUID().uuidString)"
        let source = scratch + "/source"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data("saved\n".utf8).write(to: URL(fileURLWithPath: source + "/a.txt"))
        let environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": scratch,
            "AWS_EC2_METADATA_DISABLED": "true", "BIN": S3TestEnvironment.binary, "HOST": scratch + "/host",
            "CACHE": scratch + "/cache",
        ]
        let saved = try ChildProcess.run(
            S3TestEnvironment.binary, ["save", "--path", source, "--key", "k", "--cache-dir", scratch + "/cache"],
            environment: environment)
        try #require(saved.status == 0, "\(saved.stderr)")
        try FileManager.default.createDirectory(atPath: scratch + "/host/log", withIntermediateDirectories: true)
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: scratch + "/host/a.txt"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: scratch + "/host/auth.json"))
        let setup = "set -e; mount -t tmpfs tmpfs \"$HOST/log\"; echo kept > \"$HOST/log/x.log\"; "
        let output = try ChildProcess.run(
            unshare, flags + ["/bin/sh", "-c", setup + script], environment: environment)
        return (output, scratch)
    }

    @Test func filesOnAnotherFileSystemAreCopiedAndSymlinksRecreated() throws {
        let (output, scratch) = try run(
            "copy",
            """
            ln -s x.log "$HOST/log/link"
            "$BIN" restore --path "$HOST" --key k --cache-dir "$CACHE" >/dev/null
            cat "$HOST/a.txt" "$HOST/log/x.log"; readlink "$HOST/log/link"; cat "$HOST/auth.json"; echo
            if mountpoint -q "$HOST/log"; then echo mounted; else echo plain; fi
            """)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout == "saved\nkept\nx.log\n{}\nplain\n", "\(output.stdout) \(output.stderr)")
    }

    @Test func anEntryThatCannotBeKeptStopsTheRestore() throws {
        let (output, scratch) = try run(
            "fifo",
            """
            mkfifo "$HOST/log/pipe"
            if "$BIN" restore --path "$HOST" --key k --cache-dir "$CACHE" >/dev/null; then echo restored; fi
            cat "$HOST/a.txt" "$HOST/log/x.log"; test -p "$HOST/log/pipe" && echo pipe
            """)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout == "old\nkept\npipe\n", "the old tree stays whole: \(output.stdout)")
        #expect(output.stderr.contains("kept across the restore"), "\(output.stderr)")
    }
}
