import Foundation
import S3
import StorageCache
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `storage-cache run` started in the background with `posix_spawn` (Foundation's `Process` did not always notice
/// a SIGKILLed child here): stderr goes to a file the test polls, stdin and stdout are /dev/null.
final class RunningCLI {
    let pid: Int32
    let stderrPath: String
    private var status: Int32?

    init(_ arguments: [String], environment: [String: String], scratch: String) throws {
        let binary = S3TestEnvironment.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the binary first: \(binary)")
        stderrPath = scratch + "/run-\(UUID().uuidString).stderr"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, binary, &actions, nil, argv, envp)
        try #require(result == 0, "posix_spawn: \(String(cString: strerror(result)))")
        self.pid = pid
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = waitExit()
        }
    }

    /// Whether it has not exited yet (reaps it once it has).
    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        if result == pid {
            status = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            return false
        }
        return result == 0
    }

    /// Blocks until it exits; its status (128 + N for signal N).
    func waitExit() -> Int32 {
        while isRunning { usleep(10_000) }
        return status ?? -1
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits until stderr contains `text`; fails (with the log) after `timeout` seconds or if the process ends.
    @discardableResult
    func waitForLog(_ text: String, timeout: Double = 15) throws -> String {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            let log = stderr
            if log.contains(text) { return log }
            if !isRunning {
                let log = stderr
                if log.contains(text) { return log }
                Issue.record("the run ended before logging \"\(text)\":\n\(log)")
                throw RunTestFailure.ended
            }
            usleep(50_000)
        }
        Issue.record("no \"\(text)\" within \(timeout) s:\n\(stderr)")
        throw RunTestFailure.timeout
    }

    /// The child's pid from the "child started pid N" line.
    func childPID() throws -> Int32 {
        let log = try waitForLog("child started pid ")
        let rest = try #require(log.range(of: "child started pid ")).upperBound
        return try #require(Int32(log[rest...].prefix { $0.isNumber }))
    }

    /// Waits for the exit status; kills the process and fails after `timeout` seconds.
    func waitForExit(timeout: Double = 20) throws -> Int32 {
        let end = Date().addingTimeInterval(timeout)
        while isRunning && Date() < end { usleep(20_000) }
        if isRunning {
            kill(pid, SIGKILL)
            _ = waitExit()
            Issue.record("the run did not exit within \(timeout) s:\n\(stderr)")
            throw RunTestFailure.timeout
        }
        return status ?? -1
    }
}

enum RunTestFailure: Error {
    case ended, timeout
}

/// One LocalStack location and a scratch directory for a `run` test.
struct RunFixture {
    let bucket: String
    let scratch: String
    let client: S3Client
    let repo = "owner/bot"

    var store: String { scratch + "/store" }

    /// A minimal environment: test credentials, no instance metadata, a private HOME, plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": scratch,
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true",
            "STORE": store,
        ]
        environment.merge(extra) { $1 }
        return environment
    }

    /// `run` with this location and `options`, then `-- command`.
    func arguments(_ options: [String], _ command: [String], store: String? = nil) -> [String] {
        [
            "run", "--path", store ?? self.store, "--bucket", bucket, "--endpoint", S3TestEnvironment.endpointURL,
            "--repo", repo, "--agent-identity", "discord", "--state-dir", scratch + "/state",
        ] + options + ["--"] + command
    }

    var engine: SyncEngine {
        get throws {
            SyncEngine(
                client: client, location: try SyncLocation(bucket: bucket, agentIdentity: .discord, repo: repo),
                logger: S3TestEnvironment.logger)
        }
    }

    /// The current manifest's generation and paths of regular files, `nil` before the first push.
    func manifest() async throws -> (generation: Int, files: Set<String>)? {
        guard let remote = try await engine.readManifest() else { return nil }
        return (
            remote.manifest.generation, Set(remote.manifest.files.filter { $0.kind == .file }.map(\.path))
        )
    }

    /// Pulls the S3 copy into a fresh directory and returns relative path → contents of its files.
    func pulledFiles() async throws -> [String: String] {
        let fresh = scratch + "/fresh-\(UUID().uuidString)"
        _ = try await engine.pull(into: fresh)
        return Self.files(fresh)
    }

    /// relative path → contents of every regular file under `root`.
    static func files(_ root: String) -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                result[path] = (try? String(contentsOfFile: root + "/" + path, encoding: .utf8)) ?? "<binary>"
            }
        }
        return result
    }

    /// Runs `body` with a fresh bucket and scratch directory, both removed afterwards.
    static func with(_ label: String, _ body: (RunFixture) async throws -> Void) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket(label, client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { scratch in
                try await body(RunFixture(bucket: bucket, scratch: scratch, client: client))
            }
        }
    }
}

/// Whether a process with `pid` exists (a zombie counts).
func processExists(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
}
