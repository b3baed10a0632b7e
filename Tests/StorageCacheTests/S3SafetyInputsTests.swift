import Foundation
import S3
import StorageCache
import Testing

/// `s3-expected-bucket-owner`, `s3-allow-insecure-endpoint` and the endpoint rules as `SyncSettings` resolves them.
@Suite struct S3SafetyInputsTests {
    static let base = SyncSettingsTests.base

    @Test func theOwnerIsReadFromTheInputOrTheFlagAndReachesTheClientConfiguration() throws {
        var environment = Self.base
        environment["INPUT_S3-EXPECTED-BUCKET-OWNER"] = "111122223333"
        let settings = try SyncSettingsTests.resolve(environment)
        #expect(settings.expectedBucketOwner == "111122223333")
        let configuration = settings.clientConfiguration(endpoint: try settings.s3Endpoint())
        #expect(configuration.expectedBucketOwner == "111122223333")
        #expect(configuration.permissionPrefix == "opencode-storage")
        var flags = SyncSettingsFlags()
        flags.expectedBucketOwner = "444455556666"
        #expect(try SyncSettingsTests.resolve(environment, flags: flags).expectedBucketOwner == "444455556666")
        #expect(try SyncSettingsTests.resolve(Self.base).expectedBucketOwner == nil)
    }

    @Test(arguments: ["11112222333", "1111222233334", "11112222333a", "arn:aws:iam::111122223333:root", "-11112222333"])
    func anOwnerThatIsNotTwelveDigitsIsAnInputError(owner: String) throws {
        var environment = Self.base
        environment["INPUT_S3-EXPECTED-BUCKET-OWNER"] = owner
        let error = try #require(SyncSettingsTests.failure(environment))
        #expect(error.input == "s3-expected-bucket-owner")
        #expect(error.flag == "--expected-bucket-owner")
        #expect(error.message.contains("12-digit"))
    }

    @Test(arguments: [
        ("http://10.1.2.3:9000", "insecure-endpoint"), ("http://minio.example.test", "insecure-endpoint"),
        ("https://169.254.10.10", "link-local-endpoint"), ("https://[fe80::10]:9000", "link-local-endpoint"),
        ("https://[fd00:ec2::10]", "link-local-endpoint"), ("https://[::ffff:169.254.10.10]", "link-local-endpoint"),
    ])
    func unsafeEndpointsAreInputErrorsNamedByTheirRule(endpoint: String, name: String) throws {
        var environment = Self.base
        environment["INPUT_S3-ENDPOINT"] = endpoint
        let error = try #require(SyncSettingsTests.failure(environment))
        #expect(error.input == "s3-endpoint")
        #expect(error.message.hasPrefix(name + ": "), "\(error.message)")
    }

    @Test func theEnvironmentEndpointIsCheckedToo() throws {
        var environment = Self.base
        environment["AWS_ENDPOINT_URL_S3"] = "http://10.1.2.3:9000"
        #expect(SyncSettingsTests.failure(environment)?.message.hasPrefix("insecure-endpoint") == true)
    }

    @Test func allowingInsecureEndpointsLetsPlainHTTPThroughButNeverLinkLocal() throws {
        var environment = Self.base
        environment["INPUT_S3-ENDPOINT"] = "http://10.1.2.3:9000"
        environment["INPUT_S3-ALLOW-INSECURE-ENDPOINT"] = "true"
        let settings = try SyncSettingsTests.resolve(environment)
        #expect(settings.allowInsecureEndpoint)
        #expect(settings.clientConfiguration(endpoint: try settings.s3Endpoint()).allowInsecureEndpoint)

        environment["INPUT_S3-ENDPOINT"] = "http://169.254.10.10"
        #expect(SyncSettingsTests.failure(environment)?.message.hasPrefix("link-local-endpoint") == true)

        var flags = SyncSettingsFlags()
        flags.allowInsecureEndpoint = true
        var plain = Self.base
        plain["INPUT_S3-ENDPOINT"] = "http://10.1.2.3:9000"
        #expect(try SyncSettingsTests.resolve(plain, flags: flags).allowInsecureEndpoint)

        plain["INPUT_S3-ALLOW-INSECURE-ENDPOINT"] = "yes"
        #expect(SyncSettingsTests.failure(plain)?.input == "s3-allow-insecure-endpoint")
    }

    @Test func loopbackHTTPNeedsNoPermission() throws {
        for endpoint in ["http://127.0.0.1:4566", "http://localhost:4566", "http://[::1]:4566"] {
            var environment = Self.base
            environment["INPUT_S3-ENDPOINT"] = endpoint
            #expect(try SyncSettingsTests.resolve(environment).endpoint == endpoint)
        }
    }

    @Test func aPendingEntryKeepsTheOwnerAndTheInsecurePermissionForItsRetry() throws {
        var flags = SyncSettingsFlags()
        flags.bucket = "my-bucket"
        flags.repo = "owner/repo"
        flags.endpoint = "http://10.1.2.3:9000"
        flags.allowInsecureEndpoint = true
        flags.expectedBucketOwner = "111122223333"
        let settings = try SyncSettings.resolve(flags: flags, environment: ["HOME": "/h"])
        let entry = PendingEntry(failedPush: settings, localPath: "/data", error: "x")
        let rebuilt = try entry.settings(stateDirectory: "/h/state")
        #expect(rebuilt.expectedBucketOwner == "111122223333")
        #expect(rebuilt.allowInsecureEndpoint)

        // A file written before these fields existed still decodes, without them.
        var object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(entry)) as? [String: Any])
        object.removeValue(forKey: "expectedBucketOwner")
        object.removeValue(forKey: "allowInsecureEndpoint")
        let decoder = JSONDecoder()
        let old = try decoder.decode(PendingEntry.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.expectedBucketOwner == nil && old.allowInsecureEndpoint == nil)
    }
}
