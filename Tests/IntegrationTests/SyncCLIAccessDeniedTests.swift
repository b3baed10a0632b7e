import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Through `Tests/Support/fault_proxy.py` in front of LocalStack: S3 answers 403 AccessDenied to everything, then
/// recovers, and the pending push is retried at the same endpoint.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct SyncCLIAccessDeniedTests {
    /// A running fault proxy and its port.
    final class Proxy {
        let process = Process()
        let port: Int

        init(forceStatus: Int) throws {
            process.executableURL = URL(fileURLWithPath: S3TestEnvironment.python)
            process.arguments = [
                S3TestEnvironment.repositoryRoot + "/Tests/Support/fault_proxy.py", "--upstream",
                S3TestEnvironment.endpointURL, "--fault-rate", "0", "--force-status", String(forceStatus),
            ]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            let deadline = ContinuousClock.now + .seconds(20)
            while !text.contains("\n"), ContinuousClock.now < deadline {
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }),
                let port = Int(line.dropFirst(5))
            else {
                kill(process.processIdentifier, SIGKILL)
                throw ChildProcess.PythonFailure(message: "the fault proxy did not start: \(text)")
            }
            self.port = port
        }

        var url: String { "http://127.0.0.1:\(port)" }

        func configure(_ query: String) throws {
            _ = try ChildProcess.python(
                """
                import sys, urllib.request
                urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="POST"), timeout=5).read()
                """, ["\(url)/__proxy/config?\(query)"])
        }

        /// SIGKILL: a child of the test process inherits its blocked signal mask, so SIGTERM would never arrive.
        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    @Test func accessDeniedExitsFourIsRecordedAndTheRetrySucceedsOnceAllowed() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("cli-denied", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try SyncCLITests.makeTree(dir + "/src")
                let proxy = try Proxy(forceStatus: 403)
                defer { proxy.stop() }
                let state = dir + "/state"
                let push = try SyncCLITests.run(
                    [
                        "sync", "push", "--path", dir + "/src", "--bucket", bucket, "--endpoint", proxy.url, "--repo",
                        "owner/repo", "--state-dir", state,
                    ], environment: SyncCLITests.environment(home: dir))
                #expect(push.status == 4, "\(push.stderr)")
                #expect(push.stderr.contains("AccessDenied"))
                #expect(push.stderr.contains("check the credentials"))
                let pending = try String(contentsOfFile: state + "/s3_failures.json", encoding: .utf8)
                #expect(pending.contains(proxy.url))
                #expect(!pending.contains(SyncCLITests.fakeSecret))

                try proxy.configure("force_status=0")
                let retry = try SyncCLITests.run(
                    ["sync", "retry", "--state-dir", state], environment: SyncCLITests.environment(home: dir))
                #expect(retry.status == 0, "\(retry.stdout)\(retry.stderr)")
                #expect(retry.stdout.contains("1 of 1 pending pushes succeeded; 0 remain"))
                let keys = try await SyncCLITests.keys(client, bucket)
                #expect(keys.contains("opencode-storage/github/owner-repo/manifest.json"))
            }
        }
    }
}
