import Foundation
import Testing

/// RFC-019's least-privilege policy on a real IAM evaluator (moto's server): with its four actions, nothing more,
/// the doctor, `sync push`/`pull` and `save`/`restore` through S3 pass; with any one of them taken away, the doctor
/// and the command that needs it name the missing action and the statement to add.
@Suite(.enabled(if: MotoServer.shouldRun), .serialized)
final class MotoPermissionTests {
    static let actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]

    let moto: MotoServer

    init() throws { moto = try MotoServer() }
    deinit { moto.stop() }

    func environment(_ dir: String, _ keys: MotoServer.Keys, _ extra: [String: String] = [:]) -> [String: String] {
        var environment = EndpointProbeTests.environment(dir, extra)
        environment["AWS_ACCESS_KEY_ID"] = keys.accessKeyId
        environment["AWS_SECRET_ACCESS_KEY"] = keys.secretAccessKey
        environment.removeValue(forKey: "AWS_SESSION_TOKEN")
        return environment
    }

    func run(_ arguments: [String], _ environment: [String: String]) throws -> ProcessOutput {
        let output = try SyncCLITests.run(arguments, environment: environment)
        if let secret = environment["AWS_SECRET_ACCESS_KEY"] {
            #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret), "the secret key leaked")
        }
        return output
    }

    func sync(_ bucket: String, repo: String = "owner/repo") -> [String] {
        ["--bucket", bucket, "--endpoint", moto.endpoint, "--repo", repo]
    }

    func coordinatorInputs(_ bucket: String, dir: String, path: String, key: String) -> [String: String] {
        [
            "INPUT_S3-BACKUP": "true", "INPUT_S3-BUCKET": bucket, "INPUT_S3-ENDPOINT": moto.endpoint,
            "INPUT_REPO": "owner/coord", "INPUT_STORAGE-PATH": path, "INPUT_KEY": key,
            "INPUT_CACHE-DIR": dir + "/primary", "INPUT_S3-FAILURE-MODE": "fail",
        ]
    }

    @Test func theLeastPrivilegePolicyIsEnoughForDoctorSyncSaveAndRestore() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            let bucket = "rfc019-full"
            try moto.createBucket(bucket)
            let keys = try moto.user("full", bucket: bucket, actions: Self.actions)
            let environment = environment(dir, keys)

            // An empty prefix first: every check passes and a restore is a clean miss.
            let doctor = try run(["doctor", "--json"] + sync(bucket), environment)
            #expect(doctor.status == 0, "\(doctor.stdout)\(doctor.stderr)")
            let report = try SyncCLITests.json(doctor.stdout)
            #expect(report["ok"] as? Bool == true)
            let checks = try #require(report["checks"] as? [[String: Any]])
            #expect(
                checks.map { $0["check"] as? String } == [
                    "endpoint", "credentials", "bucket", "region", "owner", "s3:ListBucket", "s3:PutObject",
                    "s3:GetObject", "s3:DeleteObject",
                ])
            #expect(checks.allSatisfy { ["ok", "skipped"].contains($0["status"] as? String) })
            #expect((checks[5]["detail"] as? String)?.contains("clean miss") == true, "\(checks[5])")
            let emptyPull = try run(["sync", "pull", "--path", dir + "/empty"] + sync(bucket), environment)
            #expect(emptyPull.status == 0, "\(emptyPull.stderr)")
            #expect(emptyPull.stdout.contains("source none"))
            let emptyRestore = try run(
                ["restore", "--json"],
                self.environment(
                    dir, keys, coordinatorInputs(bucket, dir: dir, path: dir + "/empty-coord", key: "k-empty")))
            #expect(emptyRestore.status == 0, "\(emptyRestore.stderr)")
            #expect(try SyncCLITests.json(emptyRestore.stdout)["outcome"] as? String == "miss")
            var failOnMiss = coordinatorInputs(bucket, dir: dir, path: dir + "/empty-coord", key: "k-empty")
            failOnMiss["INPUT_FAIL-ON-CACHE-MISS"] = "true"
            let missed = try run(["restore"], self.environment(dir, keys, failOnMiss))
            #expect(missed.status == 3, "a miss is exit 3 with fail-on-cache-miss, not an error: \(missed.stderr)")

            // Push (a multipart file, then a deletion), pull.
            try SyncCLITests.makeTree(dir + "/src")
            try S3TestEnvironment.writeRandomFile(dir + "/src/big.bin", size: 9 << 20)
            let push = try run(["sync", "push", "--path", dir + "/src"] + sync(bucket), environment)
            #expect(push.status == 0, "\(push.stderr)")
            try FileManager.default.removeItem(atPath: dir + "/src/top.txt")
            let second = try run(["sync", "push", "--path", dir + "/src"] + sync(bucket), environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(!second.stderr.contains("could not delete"), "\(second.stderr)")
            let pull = try run(["sync", "pull", "--path", dir + "/dst"] + sync(bucket), environment)
            #expect(pull.status == 0, "\(pull.stderr)")
            #expect(try SyncCLITests.contents(dir + "/dst") == SyncCLITests.contents(dir + "/src"))

            // save, then restore from S3 into an empty primary.
            let save = try run(
                ["save"],
                self.environment(dir, keys, coordinatorInputs(bucket, dir: dir, path: dir + "/src", key: "k1")))
            #expect(save.status == 0, "\(save.stderr)")
            try FileManager.default.removeItem(atPath: dir + "/primary")
            let restore = try run(
                ["restore", "--json"],
                self.environment(dir, keys, coordinatorInputs(bucket, dir: dir, path: dir + "/restored", key: "k1")))
            #expect(restore.status == 0, "\(restore.stderr)")
            #expect(try SyncCLITests.json(restore.stdout)["source"] as? String == "s3", "\(restore.stdout)")
            #expect(try SyncCLITests.contents(dir + "/restored") == SyncCLITests.contents(dir + "/src"))

            let after = try run(["doctor"] + sync(bucket), environment)
            #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
        }
    }

    @Test(arguments: actions)
    func eachActionTakenAwayIsNamedByTheDoctorAndTheFailingCommand(missing: String) async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            let bucket = "rfc019-no-" + missing.dropFirst(3).lowercased()
            try moto.createBucket(bucket)
            let full = try moto.user("full-\(bucket)", bucket: bucket, actions: Self.actions)
            let keys = try moto.user("gap-\(bucket)", bucket: bucket, actions: Self.actions.filter { $0 != missing })
            let resource =
                missing == "s3:ListBucket" ? "arn:aws:s3:::\(bucket)" : "arn:aws:s3:::\(bucket)/opencode-storage/*"
            let statement = "{\"Effect\": \"Allow\", \"Action\": \"\(missing)\", \"Resource\": \"\(resource)\"}"

            // A stored state, written with every permission.
            try SyncCLITests.makeTree(dir + "/src")
            let seeded = try run(["sync", "push", "--path", dir + "/src"] + sync(bucket), environment(dir, full))
            #expect(seeded.status == 0, "\(seeded.stderr)")

            let doctor = try run(["doctor", "--json"] + sync(bucket), environment(dir, keys))
            #expect(doctor.status == 4, "\(doctor.stdout)\(doctor.stderr)")
            let report = try SyncCLITests.json(doctor.stdout)
            #expect(report["firstGap"] as? String == missing, "\(doctor.stdout)")
            let gap = try #require(
                (report["checks"] as? [[String: Any]])?.first { $0["status"] as? String == "FAILED" })
            #expect(gap["statement"] as? String == statement, "\(gap)")
            #expect(doctor.stderr.contains(statement), "\(doctor.stderr)")
            let table = try run(["doctor"] + sync(bucket), environment(dir, keys))
            #expect(table.status == 4)
            #expect(table.stdout.contains(missing) && table.stdout.contains("FAILED"), "\(table.stdout)")

            // The command that needs the action fails (or, for deletions of removed files, warns) naming it.
            let output: ProcessOutput
            switch missing {
            case "s3:ListBucket":  // no manifest under this repository: the pull falls back to a listing
                output = try run(
                    ["sync", "pull", "--path", dir + "/dst"] + sync(bucket, repo: "owner/unlisted"),
                    environment(dir, keys))
                #expect(output.status == 4, "\(output.stderr)")
            case "s3:GetObject":
                output = try run(["sync", "pull", "--path", dir + "/dst"] + sync(bucket), environment(dir, keys))
                #expect(output.status == 4, "\(output.stderr)")
                let restore = try run(
                    ["restore"],
                    environment(dir, keys, coordinatorInputs(bucket, dir: dir, path: dir + "/restored", key: "k")))
                #expect(restore.stderr.contains(statement), "\(restore.stderr)")
            case "s3:PutObject":
                try Data("new".utf8).write(to: URL(fileURLWithPath: dir + "/src/new.txt"))
                output = try run(["sync", "push", "--path", dir + "/src"] + sync(bucket), environment(dir, keys))
                #expect(output.status == 4, "\(output.stderr)")
                let save = try run(
                    ["save"], environment(dir, keys, coordinatorInputs(bucket, dir: dir, path: dir + "/src", key: "k")))
                #expect(save.status == 4, "\(save.stderr)")
                #expect(save.stderr.contains(statement), "\(save.stderr)")
            default:  // s3:DeleteObject: a push that removes a file commits, and warns about each object left
                try FileManager.default.removeItem(atPath: dir + "/src/top.txt")
                output = try run(["sync", "push", "--path", dir + "/src"] + sync(bucket), environment(dir, keys))
                #expect(output.status == 0, "\(output.stderr)")
                #expect(output.stderr.contains("could not delete"), "\(output.stderr)")
                let remove = try run(
                    [
                        "s3", "rm", "s3://\(bucket)/opencode-storage/github/owner-repo/manifest.json", "--endpoint",
                        moto.endpoint,
                    ], environment(dir, keys))
                #expect(remove.status == 4, "\(remove.stderr)")
                #expect(remove.stderr.contains("s3:DeleteObject"), "\(remove.stderr)")
            }
            #expect(output.stderr.contains("missing permission \(missing)"), "\(output.stderr)")
            #expect(output.stderr.contains(statement), "\(output.stderr)")
        }
    }

    /// A wrong secret is a credentials gap (moto checks the signature), never reported as a missing permission.
    @Test func refusedCredentialsAreNotAMissingPermission() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            let bucket = "rfc019-badkey"
            try moto.createBucket(bucket)
            var keys = try moto.user("badkey", bucket: bucket, actions: Self.actions)
            keys.secretAccessKey = String(keys.secretAccessKey.reversed())
            let doctor = try run(["doctor", "--json"] + sync(bucket), environment(dir, keys))
            #expect(doctor.status == 4, "\(doctor.stdout)\(doctor.stderr)")
            #expect(try SyncCLITests.json(doctor.stdout)["firstGap"] as? String == "credentials", "\(doctor.stdout)")
            let pull = try run(["sync", "pull", "--path", dir + "/dst"] + sync(bucket), environment(dir, keys))
            #expect(pull.status == 4, "\(pull.stderr)")
            #expect(pull.stderr.contains("refused the credentials"), "\(pull.stderr)")
            #expect(!pull.stderr.contains("missing permission"), "\(pull.stderr)")
        }
    }
}
