import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `storage-cache run -- CMD` (the bot host mode) through the built binary against LocalStack.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct RunCommandTests {
    @Test func sigtermStopsTheChildAndTheFinalStateReachesS3() async throws {
        try await RunFixture.with("run-term") { fixture in
            // Written after the start, and in the child's TERM trap: only the final save can carry late.txt.
            let script = """
                echo early > "$STORE/early.txt"
                trap 'echo hup > "$STORE/hup.txt"' HUP
                trap 'echo late > "$STORE/late.txt"; exit 0' TERM
                while :; do sleep 0.05; done
                """
            let run = try RunningCLI(
                fixture.arguments(["--sync-interval", "0"], ["sh", "-c", script]), environment: fixture.environment(),
                scratch: fixture.scratch)
            let child = try run.childPID()
            let end = Date().addingTimeInterval(10)
            while !FileManager.default.fileExists(atPath: fixture.store + "/early.txt") && Date() < end {
                usleep(20_000)
            }
            #expect(try await fixture.manifest() == nil, "nothing may be pushed before the stop with interval 0")
            kill(run.pid, SIGHUP)  // forwarded only: the child keeps running
            try run.waitForLog("received SIGHUP; forwarded to child pid \(child)")
            let hupEnd = Date().addingTimeInterval(10)
            while !FileManager.default.fileExists(atPath: fixture.store + "/hup.txt") && Date() < hupEnd {
                usleep(20_000)
            }
            #expect(FileManager.default.fileExists(atPath: fixture.store + "/hup.txt"), "the child got SIGHUP")
            #expect(run.isRunning, "SIGHUP does not stop the run")
            kill(run.pid, SIGTERM)
            let status = try run.waitForExit()
            let log = run.stderr
            #expect(status == 0, "the child exited 0 from its trap:\n\(log)")
            #expect(!processExists(child), "the child is gone after the supervisor exits")
            #expect(log.contains("received SIGTERM; forwarded to child pid \(child)"), "\(log)")
            #expect(log.contains("final save: synced generation 1 (3 files)"), "\(log)")
            #expect(log.contains("exit code 0"), "\(log)")
            let pulled = try await fixture.pulledFiles()
            #expect(pulled == ["early.txt": "early\n", "hup.txt": "hup\n", "late.txt": "late\n"])
        }
    }

    @Test func theChildsExitStatusIsTheRunsStatus() async throws {
        try await RunFixture.with("run-exit") { fixture in
            let seven = try ChildProcess.run(
                S3TestEnvironment.binary, fixture.arguments([], ["sh", "-c", "exit 7"]),
                environment: fixture.environment())
            #expect(seven.status == 7, "\(seven.stderr)")
            #expect(seven.stderr.contains("child pid"), "\(seven.stderr)")
            #expect(seven.stderr.contains("exited with status 7"), "\(seven.stderr)")
            #expect(seven.stderr.contains("exit code 7"), "\(seven.stderr)")

            let killed = try ChildProcess.run(
                S3TestEnvironment.binary, fixture.arguments([], ["sh", "-c", "kill -TERM $$"]),
                environment: fixture.environment())
            #expect(killed.status == 128 + SIGTERM, "\(killed.stderr)")
            #expect(killed.stderr.contains("was killed by SIGTERM (exit code 143)"), "\(killed.stderr)")

            let missing = try ChildProcess.run(
                S3TestEnvironment.binary, fixture.arguments([], ["/nonexistent/bot"]),
                environment: fixture.environment())
            #expect(missing.status == 127, "\(missing.stderr)")
            #expect(missing.stderr.contains("cannot start /nonexistent/bot"), "\(missing.stderr)")
        }
    }

    @Test func periodicSyncPushesMidRunAndNothingWhileIdle() async throws {
        try await RunFixture.with("run-periodic") { fixture in
            let go = fixture.scratch + "/go"
            let script = """
                echo mid > "$STORE/mid.txt"
                while [ ! -e "$GO" ]; do sleep 0.05; done
                """
            let run = try RunningCLI(
                fixture.arguments(["--sync-interval", "1"], ["sh", "-c", script]),
                environment: fixture.environment(["GO": go]), scratch: fixture.scratch)
            try run.waitForLog("synced generation 1 (1 files)")
            #expect(run.isRunning, "the child is still running")
            let mid = try await fixture.manifest()
            #expect(mid?.generation == 1)
            #expect(mid?.files == ["mid.txt"])
            // Idle for over two intervals: no push (not even the manifest GET of an idle push).
            usleep(2_500_000)
            #expect(try await fixture.manifest()?.generation == 1)
            #expect(run.stderr.components(separatedBy: "synced generation").count == 2, "\(run.stderr)")
            _ = FileManager.default.createFile(atPath: go, contents: nil)
            let status = try run.waitForExit()
            #expect(status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("final save: nothing changed since generation 1"), "\(run.stderr)")
            #expect(try await fixture.pulledFiles() == ["mid.txt": "mid\n"])
        }
    }

    @Test func afterSIGKILLTheNextStartRestoresTheLastPushedGeneration() async throws {
        try await RunFixture.with("run-kill") { fixture in
            // Keeps writing files so pushes are in flight when the supervisor dies.
            let script = """
                echo first > "$STORE/first.txt"
                i=0
                while :; do i=$((i+1)); head -c 20000 /dev/urandom > "$STORE/f$i.bin"; sleep 0.05; done
                """
            let run = try RunningCLI(
                fixture.arguments(["--sync-interval", "1"], ["sh", "-c", script]), environment: fixture.environment(),
                scratch: fixture.scratch)
            let child = try run.childPID()
            try run.waitForLog("synced generation 2 ")
            usleep(UInt32.random(in: 0...900_000))
            kill(run.pid, SIGKILL)
            _ = run.waitExit()
            kill(-child, SIGKILL)  // the child leads its own group; nothing kills it when its supervisor is SIGKILLed
            kill(child, SIGKILL)
            // A local change that was never pushed: the next start must not keep it.
            try Data("never pushed".utf8).write(to: URL(fileURLWithPath: fixture.store + "/local-only.txt"))
            let pushed = try #require(try await fixture.manifest())
            #expect(pushed.files.contains("first.txt"))

            let listing = fixture.scratch + "/listing.txt"
            let next = try ChildProcess.run(
                S3TestEnvironment.binary,
                fixture.arguments(
                    ["--sync-interval", "0"], ["sh", "-c", "cd \"$STORE\" && find . -type f | sort > \"$LISTING\""]),
                environment: fixture.environment(["LISTING": listing]))
            #expect(next.status == 0, "\(next.stderr)")
            #expect(
                next.stderr.contains("generation \(pushed.generation)): \(pushed.files.count) files"), "\(next.stderr)")
            let restored = Set(
                try String(contentsOfFile: listing, encoding: .utf8).split(separator: "\n").map {
                    String($0.dropFirst(2))
                })
            #expect(restored == pushed.files, "the restored tree is exactly generation \(pushed.generation)")
            #expect(!restored.contains("local-only.txt"))
            #expect(try await fixture.manifest()?.generation == pushed.generation, "an unchanged tree is not pushed")
        }
    }

    @Test func aSecondRunOnTheSameDirectoryFailsFastNamingTheHolder() async throws {
        try await RunFixture.with("run-lock") { fixture in
            let go = fixture.scratch + "/go"
            let first = try RunningCLI(
                fixture.arguments([], ["sh", "-c", "while [ ! -e \"$GO\" ]; do sleep 0.05; done"]),
                environment: fixture.environment(["GO": go]), scratch: fixture.scratch)
            try first.waitForLog("child started pid ")
            let started = Date()
            let marker = fixture.scratch + "/second-ran"
            let second = try ChildProcess.run(
                S3TestEnvironment.binary, fixture.arguments([], ["touch", marker], store: fixture.store + "/"),
                environment: fixture.environment())
            #expect(Date().timeIntervalSince(started) < 5, "fails fast")
            #expect(second.status == 75, "\(second.stderr)")
            #expect(
                second.stderr.contains("is in use by another storage-cache run (pid \(first.pid)"), "\(second.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "the second command never started")
            _ = FileManager.default.createFile(atPath: go, contents: nil)
            #expect(try first.waitForExit() == 0, "\(first.stderr)")
        }
    }
    @Test func aFailingPeriodicSyncIsAWarningAndAPendingRecordNotTheChildsEnd() async throws {
        try await RunFixture.with("run-fail") { fixture in
            let go = fixture.scratch + "/go"
            let script = """
                while [ ! -e "$GO" ]; do sleep 0.05; done
                echo kept > "$STORE/kept.txt"
                while [ -e "$GO" ]; do sleep 0.05; done
                """
            let proxy = try SyncCLIAccessDeniedTests.Proxy(forceStatus: 0)
            defer { proxy.stop() }
            var arguments = fixture.arguments(["--sync-interval", "1"], ["sh", "-c", script])
            arguments[arguments.firstIndex(of: S3TestEnvironment.endpointURL)!] = proxy.url
            let run = try RunningCLI(arguments, environment: fixture.environment(["GO": go]), scratch: fixture.scratch)
            try run.waitForLog("child started pid ")
            try proxy.configure("force_status=503")  // S3 "goes away" after the restore
            _ = FileManager.default.createFile(atPath: go, contents: nil)
            try run.waitForLog("periodic sync failed (the command keeps running")
            #expect(run.isRunning, "a failed sync never ends the child")
            let queue = try String(contentsOfFile: fixture.scratch + "/state/s3_failures.json", encoding: .utf8)
            #expect(queue.contains(fixture.store), "the failed push is in the pending queue: \(queue)")
            try proxy.configure("force_status=0")  // back again
            try FileManager.default.removeItem(atPath: go)
            let status = try run.waitForExit()
            #expect(status == 0, "\(run.stderr)")
            // The retry is the final save, or (on a slow host) a periodic sync that ran before the child exited.
            let retried =
                run.stderr.contains("final save: synced generation 1 (1 files)")
                || (run.stderr.contains("synced generation 1 (1 files)")
                    && run.stderr.contains("final save: nothing changed since generation 1"))
            #expect(retried, "\(run.stderr)")
            #expect(try await fixture.pulledFiles() == ["kept.txt": "kept\n"])
            let after =
                (try? String(contentsOfFile: fixture.scratch + "/state/s3_failures.json", encoding: .utf8)) ?? ""
            #expect(!after.contains(fixture.store), "the successful final save cleared the record: \(after)")
        }
    }
    @Test func withACacheDirectoryTheFinalSaveAlsoWritesThePrimaryEntry() async throws {
        try await RunFixture.with("run-primary") { fixture in
            let cache = fixture.scratch + "/cache"
            for content in ["one", "two"] {
                let run = try ChildProcess.run(
                    S3TestEnvironment.binary,
                    fixture.arguments(["--cache-dir", cache], ["sh", "-c", "echo \(content) > \"$STORE/p.txt\""]),
                    environment: fixture.environment())
                #expect(run.status == 0, "\(run.stderr)")
            }
            let list = try ChildProcess.run(
                S3TestEnvironment.binary, ["cache", "list", "--cache-dir", cache], environment: fixture.environment())
            #expect(list.stdout.contains("opencode-storage-discord-owner-bot-Linux"), "\(list.stdout)\(list.stderr)")
            let fresh = fixture.scratch + "/from-primary"
            let restore = try ChildProcess.run(
                S3TestEnvironment.binary,
                [
                    "restore", "--path", fresh, "--key", "opencode-storage-discord-owner-bot-Linux", "--cache-dir",
                    cache,
                ],
                environment: fixture.environment())
            #expect(restore.status == 0, "\(restore.stderr)")
            #expect(RunFixture.files(fresh) == ["p.txt": "two\n"], "the second final save replaced the entry")
            #expect(try await fixture.pulledFiles() == ["p.txt": "two\n"])
        }
    }
}
