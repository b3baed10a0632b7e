import Foundation
import S3
import StorageCache
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `storage-cache sync push|pull` killed with SIGKILL at random moments: the S3 copy always restores one of the
/// pushed trees, and a killed pull leaves its destination exactly the old tree or the new one.
///
/// Needs the built binary (`STORAGE_CACHE_BINARY`, default `.build/debug/storage-cache`); skipped without it.
@Suite(.enabled(if: S3TestEnvironment.shouldRun && SyncTestSupport.hasBinary), .serialized)
struct SyncKillTests {
    typealias Support = SyncTestSupport

    static let rounds = Int(ProcessInfo.processInfo.environment["SYNC_KILL_ROUNDS"] ?? "") ?? 12

    static func environment(home: String) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home,
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true",
        ]
    }

    static func arguments(_ command: String, path: String, bucket: String, state: String) -> [String] {
        [
            "sync", command, "--path", path, "--bucket", bucket, "--endpoint", S3TestEnvironment.endpointURL,
            "--repo", "owner/repo", "--state-dir", state,
        ]
    }

    /// Runs the binary to completion; returns its exit status and the seconds it took.
    static func run(_ arguments: [String], home: String) throws -> (status: Int32, seconds: Double, stderr: String) {
        let started = Date()
        let output = try ChildProcess.run(S3TestEnvironment.binary, arguments, environment: environment(home: home))
        return (output.status, Date().timeIntervalSince(started), output.stderr)
    }

    /// Starts the binary, SIGKILLs it after `delay` seconds (unless it finished); returns whether it was killed.
    static func runAndKill(_ arguments: [String], home: String, after delay: Double) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: S3TestEnvironment.binary)
        process.arguments = arguments
        process.environment = environment(home: home)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(delay)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        let killed = process.isRunning
        if killed { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return killed && process.terminationReason == .uncaughtSignal
    }

    /// Pulls with verification into a fresh directory (snapshot, and per-file); the result must be one of `trees`.
    /// The per-file pull may fail as corrupted after a push killed between uploads and commit (per-file objects are
    /// overwritten in place), never with another error and never with a wrong tree.
    static func checkRestorable(
        _ client: S3Client, bucket: String, trees: [[String: String]], scratch: String, round: Int
    ) async throws -> [String: String] {
        let viaSnapshot = scratch + "/check-snapshot-\(round)"
        let pulled = try await Support.engine(client, bucket: bucket).pull(into: viaSnapshot)
        let got = try Support.describe(viaSnapshot)
        #expect(trees.contains(got), "round \(round): the S3 copy (\(pulled.source)) restores no pushed tree")
        let viaObjects = scratch + "/check-objects-\(round)"
        do {
            _ = try await Support.engine(client, bucket: bucket, snapshot: false).pull(into: viaObjects)
            #expect(try Support.describe(viaObjects) == got, "round \(round): per-file pull differs from the snapshot")
        } catch let error as SyncError {
            #expect(error.code == .corrupted, "round \(round): per-file pull failed with \(error)")
            #expect(!FileManager.default.fileExists(atPath: viaObjects), "round \(round): a failed pull left files")
        }
        try? FileManager.default.removeItem(atPath: viaSnapshot)
        try? FileManager.default.removeItem(atPath: viaObjects)
        return got
    }

    @Test func aPushKilledAtRandomMomentsNeverCommitsABrokenState() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("killpush", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let source = dir + "/src"
                let state = dir + "/state"
                try Support.generate(source, sessions: 30, messages: 10, large: 1, largeMB: 12)
                let first = try Self.run(Self.arguments("push", path: source, bucket: bucket, state: state), home: dir)
                try #require(first.status == 0, "push failed: \(first.stderr)")
                // Delays are drawn from the length of an incremental push, which is what the rounds run.
                try Support.mutate(source, percent: 10, seed: 999)
                try S3TestEnvironment.writeRandomFile(source + "/snapshot/blob_0.bin", size: 12 << 20, seed: 999)
                let incremental = try Self.run(
                    Self.arguments("push", path: source, bucket: bucket, state: state), home: dir)
                try #require(incremental.status == 0, "push failed: \(incremental.stderr)")
                var trees = [try Support.describe(source)]
                var generator = SeededGenerator(seed: 2026)
                var killedCount = 0
                for round in 0..<Self.rounds {
                    try Support.mutate(source, percent: 10, seed: UInt64(round + 1))
                    if round % 3 == 0 {
                        // A changed large file makes the upload phase long enough to be hit.
                        try S3TestEnvironment.writeRandomFile(
                            source + "/snapshot/blob_0.bin", size: 12 << 20, seed: UInt64(round + 100))
                    }
                    trees.append(try Support.describe(source))
                    let delay = Double.random(in: 0.02...max(0.1, incremental.seconds * 0.9), using: &generator)
                    if try Self.runAndKill(
                        Self.arguments("push", path: source, bucket: bucket, state: state), home: dir, after: delay)
                    {
                        killedCount += 1
                    }
                    _ = try await Self.checkRestorable(
                        client, bucket: bucket, trees: trees, scratch: dir, round: round)
                }
                #expect(killedCount >= Self.rounds / 3, "only \(killedCount) pushes were killed before they ended")
                // A push after all that restores the current tree exactly, per file too.
                let last = try Self.run(Self.arguments("push", path: source, bucket: bucket, state: state), home: dir)
                #expect(last.status == 0, "\(last.stderr)")
                let final = dir + "/final"
                _ = try await Support.engine(client, bucket: bucket, snapshot: false).pull(into: final)
                #expect(try Support.describe(final) == Support.describe(source))
            }
        }
    }

    @Test(arguments: [true, false])
    func aPullKilledAtRandomMomentsLeavesTheOldTreeOrTheNewOne(snapshot: Bool) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("killpull", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let state = dir + "/state"
                let old = dir + "/old"
                try Support.generate(old, sessions: 30, messages: 10, large: 1, largeMB: 12, seed: 1)
                let new = dir + "/new"
                try Support.generate(new, sessions: 40, messages: 10, large: 1, largeMB: 12, seed: 2)
                let push = try Self.run(Self.arguments("push", path: new, bucket: bucket, state: state), home: dir)
                try #require(push.status == 0, "push failed: \(push.stderr)")
                let trees = [try Support.describe(old), try Support.describe(new)]
                let destination = dir + "/dest"
                var arguments = Self.arguments("pull", path: destination, bucket: bucket, state: state)
                if !snapshot { arguments.append("--no-snapshot") }
                try Support.copyTree(old, to: destination)
                let full = try Self.run(arguments, home: dir)
                try #require(full.status == 0, "pull failed: \(full.stderr)")
                #expect(try Support.describe(destination) == trees[1])

                var generator = SeededGenerator(seed: snapshot ? 7 : 8)
                var outcomes = [0, 0]
                var killedCount = 0
                for round in 0..<Self.rounds {
                    try Support.copyTree(old, to: destination)
                    let delay = Double.random(in: 0.02...max(0.05, full.seconds * 0.9), using: &generator)
                    if try Self.runAndKill(arguments, home: dir, after: delay) { killedCount += 1 }
                    let got = try Support.describe(destination)
                    let index = trees.firstIndex(of: got)
                    #expect(index != nil, "round \(round): a killed pull left a tree that is neither old nor new")
                    if let index { outcomes[index] += 1 }
                }
                #expect(killedCount >= Self.rounds / 3, "only \(killedCount) pulls were killed before they ended")
                // A later pull completes, and clears what killed ones left beside the destination.
                let again = try Self.run(arguments, home: dir)
                #expect(again.status == 0, "\(again.stderr)")
                #expect(try Support.describe(destination) == trees[1])
                #expect(Support.leftovers(beside: destination).isEmpty, "\(Support.leftovers(beside: destination))")
            }
        }
    }
}
