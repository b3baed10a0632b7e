import Foundation
import Testing

/// Unsafe endpoints through the built binary, each run inside a network namespace with no route (so a bug sends
/// nothing off the machine). The addresses are link-local or EC2-metadata-like but never the real metadata
/// endpoints (169.254.169.254, fd00:ec2::254). Every refusal is an input error: exit 2, its name in the message.
@Suite(.enabled(if: NetworkNamespace.shouldRun), .serialized)
struct EndpointProbeTests {
    static func environment(_ dir: String, _ extra: [String: String] = [:]) -> [String: String] {
        SyncCLITests.environment(
            home: dir, ["XDG_CACHE_HOME": dir + "/cache", "XDG_STATE_HOME": dir + "/state"].merging(extra) { $1 })
    }

    /// The arguments and extra environment of each command that talks to S3, for `endpoint`.
    static func invocations(_ dir: String, endpoint: String, extraFlags: [String] = []) -> [(
        String, [String], [String: String]
    )] {
        let sync = ["--bucket", "probe-bucket", "--repo", "owner/repo", "--endpoint", endpoint] + extraFlags
        let inputs = [
            "INPUT_S3-BACKUP": "true", "INPUT_S3-BUCKET": "probe-bucket", "INPUT_S3-ENDPOINT": endpoint,
            "INPUT_REPO": "owner/repo", "INPUT_STORAGE-PATH": dir + "/src", "INPUT_KEY": "probe",
        ]
        var s3Flags = ["--endpoint", endpoint]
        if extraFlags.contains("--allow-insecure-endpoint") { s3Flags.append("--allow-insecure-endpoint") }
        return [
            ("sync push", ["sync", "push", "--path", dir + "/src"] + sync, [:]),
            ("sync pull", ["sync", "pull", "--path", dir + "/dst"] + sync, [:]),
            ("save", ["save"] + extraFlags, inputs),
            ("restore", ["restore"] + extraFlags, inputs),
            ("s3 ls", ["s3", "ls", "s3://probe-bucket/"] + s3Flags, [:]),
            ("doctor", ["doctor"] + sync, [:]),
            ("run", ["run", "--path", dir + "/src"] + sync + ["--", "/bin/true"], [:]),
        ]
    }

    static func expectRefused(
        _ dir: String, endpoint: String, name: String, hosts: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for (label, arguments, extra) in invocations(dir, endpoint: endpoint) {
            let output = try NetworkNamespace.run(arguments, environment: environment(dir, extra), hosts: hosts)
            #expect(output.status == 2, "\(label) \(endpoint): \(output.stderr)", sourceLocation: sourceLocation)
            #expect(
                output.stderr.contains(name + ": "), "\(label) \(endpoint): \(output.stderr)",
                sourceLocation: sourceLocation)
            #expect(
                output.stderr.contains("refused before any request") || name == "insecure-endpoint",
                sourceLocation: sourceLocation)
        }
    }

    static func withTree(_ body: (String) throws -> Void) async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            try SyncCLITests.makeTree(dir + "/src")
            try body(dir)
        }
    }

    @Test(arguments: [
        "https://169.254.10.10", "http://169.254.10.10:9000", "https://[fe80::10]:9000", "https://[fd00:ec2::10]",
        "https://[::ffff:169.254.10.10]", "https://2851998218", "https://0xa9.0xfe.0xa.0xa",
    ])
    func linkLocalAndMetadataLikeEndpointsAreRefused(endpoint: String) async throws {
        try await Self.withTree { dir in
            try Self.expectRefused(dir, endpoint: endpoint, name: "link-local-endpoint")
        }
    }

    @Test func plainHTTPToANonLoopbackHostIsRefused() async throws {
        try await Self.withTree { dir in
            try Self.expectRefused(dir, endpoint: "http://10.20.30.40:9000", name: "insecure-endpoint")
            try Self.expectRefused(dir, endpoint: "http://minio.example.test:9000", name: "insecure-endpoint")
        }
    }

    @Test func namesThatResolveToLinkLocalOrNonLoopbackAddressesAreRefused() async throws {
        try await Self.withTree { dir in
            let hosts = "127.0.0.1 localhost\n169.254.10.20 s3.evil.test\nfe80::20 s3v6.evil.test\n"
            try Self.expectRefused(dir, endpoint: "https://s3.evil.test", name: "link-local-endpoint", hosts: hosts)
            try Self.expectRefused(
                dir, endpoint: "https://s3v6.evil.test:9000", name: "link-local-endpoint", hosts: hosts)
            // `localhost` is trusted with plain http only while it resolves to loopback.
            try Self.expectRefused(
                dir, endpoint: "http://localhost:9000", name: "insecure-endpoint", hosts: "10.20.30.40 localhost\n")
        }
    }

    /// With the permission, plain http passes the check and the request itself fails (no route): exit 1, not 2.
    @Test func allowingInsecureEndpointsLetsTheRequestBeTried() async throws {
        try await Self.withTree { dir in
            let endpoint = "http://10.20.30.40:9000"
            for (label, arguments, extra) in Self.invocations(
                dir, endpoint: endpoint, extraFlags: ["--allow-insecure-endpoint"])
            {
                let output = try NetworkNamespace.run(arguments, environment: Self.environment(dir, extra))
                #expect(!output.stderr.contains("insecure-endpoint"), "\(label): \(output.stderr)")
                #expect(output.status != 2, "\(label): \(output.stderr)")
            }
        }
    }
}
