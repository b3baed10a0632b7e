import Foundation
import Hashing
import S3
import Testing

/// `storage-cache s3 …` through the built binary against LocalStack.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct S3CLITests {
    static let secret = "SeCrEtKeyDistinctive9f8e7d6c5b4a3210ZYXW"
    static let token = "SeSsIoNtOkEnDistinctive-0123456789-abcdefXYZ"

    static func environment(secret: String? = Self.secret, token: String? = Self.token) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN"] {
            environment[name] = nil
        }
        environment["AWS_ACCESS_KEY_ID"] = "test"
        environment["AWS_SECRET_ACCESS_KEY"] = secret
        environment["AWS_SESSION_TOKEN"] = token
        environment["AWS_REGION"] = "us-east-1"
        // Only loopback traffic: no instance metadata lookups, no shared files from the host.
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/credentials"
        environment["AWS_CONFIG_FILE"] = "/nonexistent/config"
        for name in [
            "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ] {
            environment[name] = nil
        }
        return environment
    }

    static func cli(_ arguments: [String], environment: [String: String] = Self.environment()) throws -> ProcessOutput {
        try #require(
            FileManager.default.isExecutableFile(atPath: S3TestEnvironment.binary),
            "build the binary first (swift build); looked at \(S3TestEnvironment.binary)")
        return try ChildProcess.run(S3TestEnvironment.binary, ["s3"] + arguments, environment: environment)
    }

    static let endpoint = ["--endpoint", S3TestEnvironment.endpointURL]

    @Test func verboseRunsCopyListAndRemoveWithoutLeakingSecrets() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("cli", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { directory in
                let tree = directory + "/tree"
                try FileManager.default.createDirectory(atPath: tree + "/sub dir", withIntermediateDirectories: true)
                for index in 0..<40 {
                    try "file \(index)".write(toFile: tree + "/f\(index).json", atomically: false, encoding: .utf8)
                }
                try "nested".write(toFile: tree + "/sub dir/ünï+x.txt", atomically: false, encoding: .utf8)
                let single = directory + "/single.bin"
                try S3TestEnvironment.writeRandomFile(single, size: 10 << 20, seed: 9)

                var outputs: [ProcessOutput] = []
                func run(_ arguments: [String]) throws -> ProcessOutput {
                    let output = try Self.cli(arguments + Self.endpoint + ["--verbose"])
                    #expect(output.status == 0, "\(arguments): \(output.stderr)")
                    outputs.append(output)
                    return output
                }
                _ = try run(["cp", single, "s3://\(bucket)/one/"])
                _ = try run(["cp", "--recursive", tree, "s3://\(bucket)/tree", "--concurrency", "8"])
                let top = try run(["ls", "s3://\(bucket)/"])
                #expect(top.stdout.contains("PRE one/") && top.stdout.contains("PRE tree/"), "\(top.stdout)")
                let all = try run(["ls", "--recursive", "s3://\(bucket)/tree/"])
                #expect(all.stdout.split(separator: "\n").count == 41)
                #expect(all.stdout.contains("tree/sub dir/ünï+x.txt"))

                _ = try run(["cp", "s3://\(bucket)/one/single.bin", directory + "/back.bin"])
                #expect(
                    try FileDigest.sha256(path: directory + "/back.bin").digest
                        == FileDigest.sha256(path: single).digest)
                _ = try run(["cp", "--recursive", "s3://\(bucket)/tree", directory + "/down"])
                #expect(try String(contentsOfFile: directory + "/down/sub dir/ünï+x.txt", encoding: .utf8) == "nested")
                #expect(try String(contentsOfFile: directory + "/down/f39.json", encoding: .utf8) == "file 39")

                let presign = try run(["presign", "--expires", "120", "s3://\(bucket)/one/single.bin"])
                #expect(presign.stdout.hasPrefix("http://"))
                #expect(presign.stdout.contains("X-Amz-Signature="))

                try await client.putObject(bucket: bucket, key: "treehouse/keep.txt", body: .bytes([1]))
                _ = try run(["rm", "s3://\(bucket)/one/single.bin"])
                let removed = try run(["rm", "--recursive", "s3://\(bucket)/tree"])
                #expect(removed.stdout.contains("deleted 41 of 41"))
                #expect(try await client.listObjects(bucket: bucket).objects.map(\.key) == ["treehouse/keep.txt"])

                // Debug logs were written, and nothing holds a secret (the presigned URL on stdout carries the
                // session token by design, so only its stderr is checked).
                #expect(outputs.contains { $0.stderr.contains("debug") && $0.stderr.contains("PUT") })
                for (index, output) in outputs.enumerated() {
                    let text = (output.stdout == presign.stdout ? "" : output.stdout) + output.stderr
                    #expect(!text.contains(Self.secret), "run \(index) leaked the secret key")
                    #expect(!text.contains(Self.token), "run \(index) leaked the session token")
                    #expect(!text.contains("Signature="), "run \(index) logged a signature")
                    #expect(!text.contains("Authorization"), "run \(index) logged an Authorization header")
                }
                #expect(!presign.stdout.contains(Self.secret))
            }
        }
    }

    @Test(arguments: [
        (["ls", "s3://Bad_Bucket/x"], "bucket name"),
        (["ls", "s3://ab"], "3 to 63"),
        (["ls", "s3://192.168.1.1/"], "IP address"),
        (["ls", "s3://xn--abc/"], "xn--"),
        (["ls", "s3://bucket-s3alias/"], "-s3alias"),
        (["ls", "s3://a..b/"], "adjacent dots"),
        (["ls", "--endpoint", "ftp://127.0.0.1", "s3://bucket/"], "endpoint"),
        (["ls", "--endpoint", "http://", "s3://bucket/"], "host"),
        (["presign", "--expires", "0", "s3://bucket/key"], "expiry"),
        (["presign", "--expires", "604801", "s3://bucket/key"], "604800"),
        (["presign", "s3://bucket/"], "key is empty"),
        (["rm", "s3://bucket"], "key is empty"),
        (["cp", "/tmp", "/tmp/x"], "s3://"),
        (["ls", "not-an-s3-address"], "s3://"),
    ])
    func invalidInputExitsTwoNamingTheProblem(arguments: [String], reason: String) throws {
        // A loopback endpoint from the environment, so nothing could ever reach AWS even if validation slipped.
        var environment = Self.environment()
        environment["AWS_ENDPOINT_URL_S3"] = S3TestEnvironment.endpointURL
        let output = try Self.cli(arguments, environment: environment)
        #expect(output.status == 2, "\(arguments): \(output.stderr)")
        #expect(output.stderr.contains(reason), "\(arguments): \(output.stderr)")
    }

    @Test func missingObjectsExitThreeAndMissingCredentialsExitFour() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("codes", client: client) { bucket in
            let missing = try Self.cli(["cp", "s3://\(bucket)/nope.txt", "/tmp/nope.txt"] + Self.endpoint)
            #expect(missing.status == 3, "\(missing.stderr)")
            #expect(missing.stderr.contains("nope.txt"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/nope.txt"))
            let noBucket = try Self.cli(["ls", "s3://\(bucket)-gone/"] + Self.endpoint)
            #expect(noBucket.status == 3, "\(noBucket.stderr)")
            let noCredentials = try Self.cli(
                ["ls", "s3://\(bucket)/"] + Self.endpoint, environment: Self.environment(secret: nil, token: nil))
            #expect(noCredentials.status == 4, "\(noCredentials.stderr)")
            #expect(noCredentials.stderr.contains("credentials"))
        }
    }
}
