import Foundation
import TestServers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// moto's server (`Tests/Support/moto_iam.py serve`), started by the suite on an ephemeral loopback port with
/// `INITIAL_NO_AUTH_ACTION_COUNT=3`: after the admin user is made, every request is authenticated (SigV4 checked)
/// and authorized against IAM policies, which LocalStack's free edition does not do.
///
/// The Python is `$STORAGE_CACHE_TEST_MOTO_PYTHON` (Scripts/test sets it to `.moto/venv/bin/python`, which
/// Scripts/bootstrap installs), else that venv when present. Without it the permission suites skip, except under
/// `CI=true`, where they fail.
final class MotoServer: @unchecked Sendable {
    static let python: String? = {
        let candidates = [
            ProcessInfo.processInfo.environment["STORAGE_CACHE_TEST_MOTO_PYTHON"],
            S3TestEnvironment.repositoryRoot + "/.moto/venv/bin/python",
        ]
        return candidates.compactMap { $0 }.first { !$0.isEmpty && FileManager.default.isExecutableFile(atPath: $0) }
    }()
    static var shouldRun: Bool { python != nil || S3TestEnvironment.isCI }
    static let script = S3TestEnvironment.repositoryRoot + "/Tests/Support/moto_iam.py"

    /// Access keys of an IAM user.
    struct Keys: Decodable {
        var accessKeyId: String
        var secretAccessKey: String
    }

    struct Started: Decodable {
        var port: Int
        var adminAccessKeyId: String
        var adminSecretAccessKey: String
    }

    let server: ChildServer
    let started: Started
    var endpoint: String { "http://127.0.0.1:\(started.port)" }

    /// Starts the server and waits for its admin keys.
    init() throws {
        let python = try #require(
            Self.python, "no moto venv: run Scripts/bootstrap (or set STORAGE_CACHE_TEST_MOTO_PYTHON)")
        var environment = ProcessInfo.processInfo.environment
        environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] {
            environment.removeValue(forKey: name)
        }
        server = try ChildServer(executable: python, arguments: [Self.script, "serve"], environment: environment)
        guard let started = try? JSONDecoder().decode(Started.self, from: Data(server.firstLine.utf8)) else {
            throw ChildProcess.PythonFailure(message: "moto did not start: \(server.firstLine)")
        }
        self.started = started
    }

    /// Closes its stdin, kills it and reaps it.
    func stop() { server.stop() }

    /// Runs `moto_iam.py` as the admin.
    func admin(_ arguments: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = started.adminAccessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = started.adminSecretAccessKey
        environment.removeValue(forKey: "AWS_SESSION_TOKEN")
        let output = try ChildProcess.run(
            try #require(Self.python), [Self.script] + arguments + ["--endpoint", endpoint], environment: environment)
        guard output.status == 0 else {
            throw ChildProcess.PythonFailure(message: "moto_iam.py \(arguments): \(output.stderr.suffix(2000))")
        }
        return output.stdout
    }

    func createBucket(_ name: String) throws {
        _ = try admin(["bucket", "--name", name])
    }

    /// A user whose only policy is RFC-019's least-privilege statement on `bucket` with `actions`.
    func user(_ name: String, bucket: String, actions: [String]) throws -> Keys {
        let text = try admin(["user", "--name", name, "--bucket", bucket, "--actions", actions.joined(separator: ",")])
        return try JSONDecoder().decode(Keys.self, from: Data(text.utf8))
    }
}
