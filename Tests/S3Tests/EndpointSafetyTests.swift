import Foundation
import HTTPTransport
import Logging
import Testing

@testable import S3

/// `S3EndpointSafety` without any network: numeric hosts are parsed (`AI_NUMERICHOST`), never resolved or contacted.
@Suite struct EndpointSafetyTests {
    static func refusal(_ url: String, allowInsecure: Bool = false) throws -> S3EndpointSafety.Refusal? {
        S3EndpointSafety.refusal(try S3Endpoint.custom(url), allowInsecure: allowInsecure)?.0
    }

    @Test(arguments: [
        "http://169.254.169.254", "https://169.254.10.10", "https://169.254.0.1:9000", "http://[fe80::1]",
        "https://[fe80::a:b]:443", "https://[febf::1]", "https://[fd00:ec2::254]", "https://[fd00:ec2::10]",
        "https://[::ffff:169.254.10.10]", "https://[::169.254.10.10]", "https://[64:ff9b::a9fe:a0a]",
        "https://2851998218", "https://0xa9.0xfe.10.10", "https://0251.0376.012.012", "https://169.254.2570",
    ])
    func linkLocalAndMetadataAddressesAreRefusedEvenWhenInsecureIsAllowed(url: String) throws {
        #expect(try Self.refusal(url) == .linkLocalEndpoint, "\(url)")
        #expect(try Self.refusal(url, allowInsecure: true) == .linkLocalEndpoint, "\(url)")
    }

    @Test(arguments: [
        "http://10.1.2.3:9000", "http://minio.example.test", "http://[fd00::1]", "http://192.168.1.5",
        "http://0.0.0.0:4566", "http://[::]:4566",
    ])
    func plainHTTPToANonLoopbackHostIsRefusedUnlessAllowed(url: String) throws {
        #expect(try Self.refusal(url) == .insecureEndpoint, "\(url)")
        #expect(try Self.refusal(url, allowInsecure: true) == nil, "\(url)")
    }

    @Test(arguments: [
        "http://127.0.0.1:4566", "http://127.10.0.1", "http://[::1]:4566", "http://localhost:4566",
        "http://s3.localhost", "http://[::ffff:127.0.0.1]", "https://minio.example.test", "https://10.1.2.3",
        "https://[fd00::1]", "https://[fe00::1]", "https://169.253.1.1", "https://170.254.1.1",
    ])
    func httpsAnywhereAndHTTPToLoopbackPass(url: String) throws {
        #expect(try Self.refusal(url) == nil, "\(url)")
    }

    @Test func messagesNameTheErrorAndTheWayOut() throws {
        do {
            try S3EndpointSafety.check(try S3Endpoint.custom("http://10.1.2.3:9000"), allowInsecure: false)
            Issue.record("not refused")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.hasPrefix("insecure-endpoint: "))
            #expect(error.message.contains("http://10.1.2.3:9000"))
            #expect(error.message.contains("s3-allow-insecure-endpoint"))
        }
        do {
            try S3EndpointSafety.checkResolved(try S3Endpoint.custom("https://[fe80::5]:9000"), allowInsecure: true)
            Issue.record("not refused")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.hasPrefix("link-local-endpoint: "))
            #expect(error.message.contains("fe80::5"))
        }
    }

    @Test func theAWSEndpointIsNeverResolvedAndPasses() throws {
        #expect(throws: Never.self) {
            try S3EndpointSafety.checkResolved(.aws(region: "eu-west-1"), allowInsecure: false)
        }
    }

    /// The client refuses before it asks for credentials or sends anything: the credential provider would fail the
    /// test if it were asked.
    @Test func theClientRefusesBeforeAnyRequest() async throws {
        struct MustNotBeAsked: CredentialProvider {
            func credentials() async throws(CredentialError) -> AWSCredentials {
                Issue.record("credentials were asked for")
                return AWSCredentials(accessKeyID: "a", secretAccessKey: "b")
            }
        }
        for url in ["https://169.254.10.10:9000", "http://10.9.8.7:9000"] {
            let client = S3Client(
                configuration: S3ClientConfiguration(region: "us-east-1", endpoint: try S3Endpoint.custom(url)),
                credentials: MustNotBeAsked(), http: HTTPClient(logger: Logger(label: "test")),
                logger: Logger(label: "test"))
            await #expect(throws: S3Error.self) { _ = try await client.listObjectsV2Page(bucket: "bucket") }
            await #expect(throws: S3Error.self) {
                _ = try await client.presignedURL(bucket: "bucket", key: "k", expires: 60)
            }
        }
    }

    @Test func presignedURLsCarryTheExpectedOwnerInTheSignedQuery() async throws {
        let client = S3Client(
            configuration: S3ClientConfiguration(
                region: "us-east-1", endpoint: try S3Endpoint.custom("http://127.0.0.1:4566"),
                expectedBucketOwner: "111122223333"),
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret")),
            http: HTTPClient(logger: Logger(label: "test")), logger: Logger(label: "test"))
        let url = try await client.presignedURL(bucket: "bucket", key: "a/b", expires: 60)
        #expect(url.contains("?x-amz-expected-bucket-owner=111122223333&X-Amz-Algorithm="), "\(url)")
    }
}

@Suite struct EndpointConnectionCheckTests {
    @Test func theConnectedPeerIsCheckedForLinkLocalAndMetadataAddresses() {
        for peer in ["169.254.10.10", "fe80::1", "fd00:ec2::10", "::ffff:169.254.1.1"] {
            #expect(S3EndpointSafety.connectionCheck(peer)?.hasPrefix("link-local-endpoint: ") == true, "\(peer)")
        }
        for peer in ["127.0.0.1", "::1", "10.1.2.3", "52.216.1.1", "2600:1f18::1", ""] {
            #expect(S3EndpointSafety.connectionCheck(peer) == nil, "\(peer)")
        }
    }
}
