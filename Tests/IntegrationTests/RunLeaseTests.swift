import Foundation
import Hashing
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `storage-cache run --lease`: two real `run` processes (the built binary) on one LocalStack prefix, each with its
/// own storage directory, as two hosts would be. The S3 state is read back with boto3.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct RunLeaseTests {
    /// `lease.json` and `manifest.json` under the fixture's root, as boto3 reads them.
    static let boto3State = """
        import boto3, json, os, sys
        from botocore.config import Config
        s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}))
        bucket, root = sys.argv[1], sys.argv[2]
        out = {}
        for name in ["lease.json", "manifest.json"]:
            try:
                out[name] = json.loads(s3.get_object(Bucket=bucket, Key=root + "/" + name)["Body"].read())
            except s3.exceptions.NoSuchKey:
                out[name] = None
        json.dump(out, sys.stdout)
        """

    struct RemoteState {
        var lease: [String: Any]?
        var generation: Int?
        /// path → sha256 of every file the manifest names.
        var files: [String: String] = [:]
    }

    static func remoteState(_ fixture: RunFixture) throws -> RemoteState {
        let json = try ChildProcess.python(boto3State, [fixture.bucket, "opencode-storage/discord/owner-bot"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var state = RemoteState(lease: object["lease.json"] as? [String: Any])
        if let manifest = object["manifest.json"] as? [String: Any] {
            state.generation = manifest["generation"] as? Int
            for entry in manifest["files"] as? [[String: Any]] ?? [] {
                if let path = entry["path"] as? String, let sha = entry["sha256"] as? String { state.files[path] = sha }
            }
        }
        return state
    }

    static func sha256(_ text: String) -> String { Digest.sha256Hex(Array(text.utf8)) }

    /// The holder id a run logged when it took the lease (`… as <id>`).
    static func holderID(_ log: String) throws -> String {
        let line = try #require(
            log.split(separator: "\n").first { $0.contains("took ") && $0.contains("the host lease") })
        let rest = try #require(line.range(of: " as ", options: .backwards)).upperBound
        return String(line[rest...].prefix { $0 != " " && $0 != "\n" })
    }

    /// The last generation a run's log names (`synced generation G`, `nothing changed since generation G`).
    static func lastGeneration(_ log: String) -> Int? {
        guard let range = log.range(of: "generation ", options: .backwards) else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func oneHostHoldsTheOtherExitsOrWaitsAndTakesOverOnRelease() async throws {
        try await RunFixture.with("lease-wait") { fixture in
            let go = fixture.scratch + "/go"
            let first = try RunningCLI(
                fixture.arguments(
                    ["--lease", "--sync-interval", "1"],
                    ["sh", "-c", "echo one > \"$STORE/one.txt\"; while [ ! -e \"$GO\" ]; do sleep 0.05; done"],
                    store: fixture.scratch + "/a"),
                environment: fixture.environment(["GO": go, "STORE": fixture.scratch + "/a"]),
                scratch: fixture.scratch)
            let holder = try Self.holderID(try first.waitForLog("took the host lease"))
            try first.waitForLog("child started pid ")
            #expect(try Self.remoteState(fixture).lease?["holder"] as? String == holder)

            // lease-wait 0 (the default): exits at once, naming the holder and its expiry; its command never runs.
            let marker = fixture.scratch + "/second-ran"
            let refused = try ChildProcess.run(
                S3TestEnvironment.binary,
                fixture.arguments(["--lease"], ["touch", marker], store: fixture.scratch + "/b"),
                environment: fixture.environment())
            #expect(refused.status == 75, "\(refused.stderr)")
            #expect(refused.stderr.contains("is held by \(holder) (host "), "\(refused.stderr)")
            #expect(refused.stderr.contains(" until 20"), "names the expiry: \(refused.stderr)")
            #expect(refused.stderr.contains("lease-wait is 0"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker))

            // lease-wait 60: waits (no restore, no command), then takes the released lease when the first exits.
            let second = try RunningCLI(
                fixture.arguments(
                    ["--lease", "--lease-wait", "60", "--sync-interval", "1"],
                    ["sh", "-c", "cat \"$STORE/one.txt\" > \"$MARKER\"; echo two > \"$STORE/two.txt\""],
                    store: fixture.scratch + "/b"),
                environment: fixture.environment(["MARKER": marker, "STORE": fixture.scratch + "/b"]),
                scratch: fixture.scratch)
            try second.waitForLog("is held by \(holder)")
            usleep(1_500_000)
            #expect(second.isRunning, "the second host waits")
            #expect(!second.stderr.contains("restored from"), "no restore while waiting: \(second.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "its command has not started")
            _ = FileManager.default.createFile(atPath: go, contents: nil)
            #expect(try first.waitForExit() == 0, "\(first.stderr)")
            #expect(first.stderr.contains("released the host lease"), "\(first.stderr)")
            let firstGeneration = try #require(Self.lastGeneration(first.stderr), "\(first.stderr)")

            #expect(try second.waitForExit(timeout: 30) == 0, "\(second.stderr)")
            let log = second.stderr
            #expect(log.contains("took over the host lease"), "\(log)")
            #expect(log.contains("from \(holder) (host "), "\(log)")
            #expect(log.contains("(released)"), "\(log)")
            #expect(log.contains("generation \(firstGeneration))"), "restored the first host's state: \(log)")
            #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "one\n", "the command saw its files")
            let state = try Self.remoteState(fixture)
            #expect(state.generation == firstGeneration + 1, "\(log)")
            #expect(state.files == ["one.txt": Self.sha256("one\n"), "two.txt": Self.sha256("two\n")])
            #expect(state.lease?["released"] as? Bool == true, "released at exit: \(state.lease ?? [:])")
            #expect(state.lease?["holder"] as? String == (try Self.holderID(log)))
        }
    }

    @Test func badLeaseInputsExit2NamingTheInputAndStartNothing() async throws {
        try await RunFixture.with("lease-input") { fixture in
            let marker = fixture.scratch + "/ran"
            let cases: [([String], [String: String], String)] = [
                (
                    ["--lease", "--lease-ttl", "30", "--sync-interval", "60"], [:],
                    "invalid input lease-ttl (--lease-ttl)"
                ),
                (["--lease-wait", "later"], [:], "invalid input lease-wait (--lease-wait)"),
                ([], ["INPUT_LEASE": "maybe"], "invalid input lease (--lease)"),
                ([], ["INPUT_LEASE": "true", "INPUT_LEASE-TTL": "0"], "invalid input lease-ttl (--lease-ttl)"),
            ]
            for (flags, inputs, message) in cases {
                let run = try ChildProcess.run(
                    S3TestEnvironment.binary, fixture.arguments(flags, ["touch", marker]),
                    environment: fixture.environment(inputs))
                #expect(run.status == 2, "\(flags) \(inputs): \(run.stderr)")
                #expect(run.stderr.contains(message), "\(run.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: marker))
            #expect(try Self.remoteState(fixture).lease == nil, "no lease was written")
        }
    }

    @Test func afterSIGKILLOfTheHolderTheLeaseExpiresAndTheOtherHostTakesOver() async throws {
        try await RunFixture.with("lease-kill") { fixture in
            let script = """
                echo first > "$STORE/first.txt"
                i=0
                while :; do i=$((i+1)); echo "a$i" > "$STORE/a.txt"; sleep 0.05; done
                """
            let first = try RunningCLI(
                fixture.arguments(
                    ["--lease", "--lease-ttl", "3", "--sync-interval", "1"], ["sh", "-c", script],
                    store: fixture.scratch + "/a"),
                environment: fixture.environment(["STORE": fixture.scratch + "/a"]), scratch: fixture.scratch)
            let holder = try Self.holderID(try first.waitForLog("took the host lease"))
            let child = try first.childPID()
            try first.waitForLog("synced generation 1 ")
            kill(first.pid, SIGKILL)
            _ = first.waitExit()
            kill(-child, SIGKILL)
            kill(child, SIGKILL)
            let stale = try Self.remoteState(fixture)
            #expect(stale.lease?["holder"] as? String == holder, "the killed host never released it")
            #expect(stale.lease?["released"] as? Bool == false)
            let generation = try #require(stale.generation)

            let listing = fixture.scratch + "/listing"
            let second = try ChildProcess.run(
                S3TestEnvironment.binary,
                fixture.arguments(
                    ["--lease", "--lease-ttl", "3", "--lease-wait", "30", "--sync-interval", "1"],
                    ["sh", "-c", "cat \"$STORE/a.txt\" > \"$LISTING\"; echo b > \"$STORE/b.txt\""],
                    store: fixture.scratch + "/b"),
                environment: fixture.environment(["LISTING": listing, "STORE": fixture.scratch + "/b"]))
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("took over the host lease"), "\(second.stderr)")
            #expect(second.stderr.contains("from \(holder) (host "), "\(second.stderr)")
            #expect(second.stderr.contains("(expired 20"), "\(second.stderr)")
            #expect(second.stderr.contains("generation \(generation))"), "\(second.stderr)")
            let after = try Self.remoteState(fixture)
            #expect(after.generation == generation + 1)
            #expect(after.files["b.txt"] == Self.sha256("b\n"))
            let restoredA = try String(contentsOfFile: listing, encoding: .utf8)
            #expect(after.files["a.txt"] == Self.sha256(restoredA), "a.txt is the killed host's last commit")
            #expect(after.lease?["holder"] as? String != holder)
        }
    }

    @Test func aHostThatLostTheLeaseStopsItsCommandAndNoSaveOfItLands() async throws {
        try await RunFixture.with("lease-lost") { fixture in
            // The loser's command keeps changing a.txt, and its TERM trap writes one more file.
            let loserScript = """
                trap 'echo trap > "$STORE/loser-trap.txt"; exit 0' TERM
                i=0
                while :; do i=$((i+1)); echo "a$i" > "$STORE/a.txt"; sleep 0.05; done
                """
            let loser = try RunningCLI(
                fixture.arguments(
                    ["--lease", "--lease-ttl", "3", "--sync-interval", "1", "--kill-after", "5"],
                    ["sh", "-c", loserScript], store: fixture.scratch + "/a"),
                environment: fixture.environment(["STORE": fixture.scratch + "/a"]), scratch: fixture.scratch)
            let loserID = try Self.holderID(try loser.waitForLog("took the host lease"))
            try loser.waitForLog("synced generation 1 ")
            // Frozen (a long GC pause, a suspended VM): its lease lapses while its command keeps writing.
            kill(loser.pid, SIGSTOP)
            usleep(300_000)  // a request it sent just before is answered by now
            let frozen = try Self.remoteState(fixture)
            let frozenGeneration = try #require(frozen.generation)

            let go = fixture.scratch + "/go"
            let restored = fixture.scratch + "/restored-a"
            let winnerScript = """
                cat "$STORE/a.txt" > "$RESTORED"
                echo winner > "$STORE/w.txt"
                while [ ! -e "$GO" ]; do sleep 0.05; done
                """
            let winner = try RunningCLI(
                fixture.arguments(
                    ["--lease", "--lease-ttl", "3", "--lease-wait", "30", "--sync-interval", "1"],
                    ["sh", "-c", winnerScript], store: fixture.scratch + "/b"),
                environment: fixture.environment([
                    "STORE": fixture.scratch + "/b", "GO": go, "RESTORED": restored,
                ]), scratch: fixture.scratch)
            try winner.waitForLog("took over the host lease", timeout: 30)
            try winner.waitForLog("synced generation \(frozenGeneration + 1) ")
            let winnerID = try Self.holderID(winner.stderr)

            kill(loser.pid, SIGCONT)
            let status = try loser.waitForExit(timeout: 30)
            let loserLog = loser.stderr
            #expect(status == 76, "\(loserLog)")
            #expect(loserLog.contains("lost the host lease"), "\(loserLog)")
            #expect(loserLog.contains("taken over by \(winnerID)"), "\(loserLog)")
            #expect(loserLog.contains("sent SIGTERM to child pid"), "the command was stopped: \(loserLog)")
            #expect(loserLog.contains("final save skipped"), "\(loserLog)")
            #expect(
                FileManager.default.fileExists(atPath: fixture.scratch + "/a/loser-trap.txt"),
                "the command got a graceful SIGTERM")
            let loserSyncs = loserLog.components(separatedBy: "synced generation").count - 1
            let loserGenerations = Set(
                loserLog.split(separator: "\n").filter { $0.contains("synced generation") }.compactMap { line in
                    line.range(of: "synced generation ").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
                })
            #expect(loserGenerations.allSatisfy { $0 <= frozenGeneration }, "\(loserSyncs) syncs: \(loserLog)")

            let queue =
                (try? String(contentsOfFile: fixture.scratch + "/state/s3_failures.json", encoding: .utf8)) ?? ""
            #expect(!queue.contains(fixture.scratch + "/a"), "the loser left no pending push: \(queue)")

            _ = FileManager.default.createFile(atPath: go, contents: nil)
            #expect(try winner.waitForExit() == 0, "\(winner.stderr)")
            let state = try Self.remoteState(fixture)
            let restoredA = try String(contentsOfFile: restored, encoding: .utf8)
            #expect(state.files["a.txt"] == Self.sha256(restoredA), "a.txt is still the frozen host's last commit")
            #expect(frozen.files["a.txt"] == state.files["a.txt"])
            #expect(state.files["loser-trap.txt"] == nil, "nothing the loser wrote after losing was saved")
            #expect(state.files["w.txt"] == Self.sha256("winner\n"))
            #expect(state.lease?["holder"] as? String == winnerID)
            let pulled = try await fixture.pulledFiles()
            #expect(pulled["a.txt"] == restoredA)
            #expect(pulled["loser-trap.txt"] == nil)
            #expect(!loserID.isEmpty && loserID != winnerID)
        }
    }
}
