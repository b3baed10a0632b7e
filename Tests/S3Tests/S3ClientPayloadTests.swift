import Foundation
import HTTPTransport
import Hashing
import Logging
import Testing

@testable import S3

@Suite struct S3ClientPayloadTests {
    static func client(endpoint: String) throws -> S3Client {
        S3Client(
            configuration: S3ClientConfiguration(region: "us-east-1", endpoint: try S3Endpoint.custom(endpoint)),
            credentials: StaticCredentialProvider(AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret")),
            http: HTTPClient(logger: Logger(label: "test")), logger: Logger(label: "test"))
    }

    static func withFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
        let path = NSTemporaryDirectory() + "payload-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    @Test func plainHTTPSignsTheRealHashOfTheFileSection() throws {
        let bytes = (0..<5000).map { UInt8($0 % 251) }
        try Self.withFile(bytes) { path in
            let client = try Self.client(endpoint: "http://127.0.0.1:4566")
            let operation = S3Operation(
                name: "UploadPart", method: "PUT", bucket: "b", key: "k",
                body: .file(path: path, offset: 1000, length: 2500))
            #expect(try client.payloadHash(for: operation) == Digest.sha256Hex(bytes[1000..<3500]))
        }
    }

    @Test func httpsSendsFilesAsUnsignedPayloadButSignsSmallBodies() throws {
        try Self.withFile([1, 2, 3]) { path in
            let client = try Self.client(endpoint: "https://minio.example:9000")
            let file = S3Operation(
                name: "PutObject", method: "PUT", bucket: "b", key: "k", body: .file(path: path, offset: 0, length: 3))
            #expect(try client.payloadHash(for: file) == SigV4Signer.unsignedPayload)
            let small = S3Operation(name: "DeleteObjects", method: "POST", bucket: "b", body: .bytes([9]))
            #expect(try client.payloadHash(for: small) == Digest.sha256Hex([9]))
            let empty = S3Operation(name: "HeadObject", method: "HEAD", bucket: "b", key: "k")
            #expect(try client.payloadHash(for: empty) == SigV4Signer.emptyPayloadHash)
        }
    }

    @Test func aFileShorterThanItsSectionIsALocalFileError() throws {
        try Self.withFile([1, 2, 3]) { path in
            do {
                _ = try FileSection.sha256(path: path, offset: 0, length: 10)
                Issue.record("a short file must throw")
            } catch let error as S3Error {
                #expect(error.code == .localFile)
            }
            #expect(throws: S3Error.self) { try FileSection.size(path: path + ".missing") }
        }
    }

    @Test func logPathsNameBucketAndKeyButNoQuery() throws {
        let endpoint = try S3Endpoint.custom("http://127.0.0.1:4566")
        #expect(S3Client.logPath(bucket: "b", key: "a b/c", endpoint: endpoint) == "/b/a b/c")
        #expect(S3Client.logPath(bucket: "b", key: nil, endpoint: endpoint) == "/b")
        #expect(S3Client.logPath(bucket: "b", key: "k", endpoint: .aws(region: "us-east-1")) == "/k")
    }

    @Test func invalidNamesFailBeforeAnyRequest() async throws {
        // The endpoint is a closed port: reaching the network would be a transport error, not invalidInput.
        let client = try Self.client(endpoint: "http://127.0.0.1:1")
        for (bucket, key) in [("Bad_Bucket", "k"), ("ok-bucket", ""), ("xn--nope", "k")] {
            do {
                _ = try await client.putObject(bucket: bucket, key: key, body: .bytes([]))
                Issue.record("\(bucket)/\(key) must be refused")
            } catch {
                #expect(error.code == .invalidInput)
            }
        }
    }
}
