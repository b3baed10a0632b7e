import Foundation
import HTTPTransport
import Hashing
import S3
import TestServers
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The S3 client through `Tests/Support/fault_proxy.py`: ~20% of requests answered with 503 SlowDown or a
/// connection reset (seeded), and a mode that answers 403 to everything.
@Suite(.enabled(if: S3TestEnvironment.shouldRun), .serialized)
struct S3FaultProxyTests {
    @Test func everyOperationSucceedsThroughInjectedFaults() async throws {
        let proxy = try S3FaultProxy.start(seed: 2026, faultRate: 0.2)
        defer { proxy.stop() }
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(10), maxBackoff: .milliseconds(200))
        let client = try S3TestEnvironment.makeClient(endpoint: proxy.endpoint, retryPolicy: policy)
        let bucket = S3TestEnvironment.bucketName("faults")
        try await client.createBucket(bucket)
        defer { Task { await S3TestEnvironment.removeBucket(bucket, client: client) } }
        try await S3TestEnvironment.withTemporaryDirectory { directory in
            for index in 0..<30 {
                try "small \(index)".write(toFile: directory + "/s\(index).txt", atomically: false, encoding: .utf8)
            }
            let big = directory + "/big.bin"
            try S3TestEnvironment.writeRandomFile(big, size: 20 << 20, seed: 3)

            let uploaded = try await client.uploadDirectory(directory, bucket: bucket, prefix: "up", concurrency: 8)
            #expect(uploaded.count == 31)
            try await client.putObject(bucket: bucket, key: "bytes", body: .bytes(Array("in memory".utf8)))

            let listing = try await client.listObjects(bucket: bucket, prefix: "up/")
            #expect(listing.objects.count == 31)
            let head = try await client.headObject(bucket: bucket, key: "up/big.bin")
            #expect(head.contentLength == 20 << 20)
            #expect(head.etag?.hasSuffix("-3\"") == true)

            let back = directory + "/back"
            let downloaded = try await client.downloadPrefix(bucket: bucket, prefix: "up", to: back, concurrency: 8)
            #expect(downloaded.count == 31)
            #expect(try FileDigest.sha256(path: back + "/big.bin").digest == FileDigest.sha256(path: big).digest)
            #expect(try String(contentsOfFile: back + "/s7.txt", encoding: .utf8) == "small 7")
            let (bytes, _) = try await client.getObjectBytes(bucket: bucket, key: "bytes")
            #expect(bytes == Array("in memory".utf8))

            let failures = try await client.deleteObjects(bucket: bucket, keys: listing.objects.map(\.key) + ["bytes"])
            #expect(failures.isEmpty)
            #expect(try await client.listObjects(bucket: bucket).objects.isEmpty)
        }
        let stats = try await proxy.stats()
        #expect(stats.faults["503", default: 0] > 0, "the proxy injected 503s: \(stats)")
        #expect(stats.faults["reset", default: 0] > 0, "the proxy reset connections: \(stats)")
        #expect(stats.requests > stats.forwarded)
    }

    @Test func completeMultipartUploadAnswering200WithAnErrorIsRetried() async throws {
        let proxy = try S3FaultProxy.start(seed: 5, faultRate: 0)
        defer { proxy.stop() }
        let client = try S3TestEnvironment.makeClient(
            endpoint: proxy.endpoint, retryPolicy: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10)),
            multipartThreshold: 5 << 20, multipartPartSize: 5 << 20)
        let bucket = S3TestEnvironment.bucketName("complete")
        try await client.createBucket(bucket)
        defer { Task { await S3TestEnvironment.removeBucket(bucket, client: client) } }
        try await S3TestEnvironment.withTemporaryDirectory { directory in
            let source = directory + "/eleven.bin"
            try S3TestEnvironment.writeRandomFile(source, size: 11 << 20, seed: 11)
            try await proxy.configure("complete_errors=1")
            try await client.uploadFile(bucket: bucket, key: "eleven.bin", path: source)
            #expect(try await proxy.stats().completeErrors == 1)
            #expect(try await client.headObject(bucket: bucket, key: "eleven.bin").contentLength == 11 << 20)

            // The first Complete takes effect but its answer is lost; the retry finds no upload and checks the object.
            try await proxy.configure("lost_completes=1")
            try await client.uploadFile(bucket: bucket, key: "lost.bin", path: source)
            #expect(try await proxy.stats().faults["lost"] == 1)
            let back = directory + "/lost.back"
            try await client.downloadFile(bucket: bucket, key: "lost.bin", to: back)
            #expect(try FileDigest.sha256(path: back).digest == FileDigest.sha256(path: source).digest)

            // Three in a row exhaust the retries: the upload fails as an error, not a success.
            try await proxy.configure("complete_errors=3")
            do {
                try await client.uploadFile(bucket: bucket, key: "never.bin", path: source)
                Issue.record("a 200 with an <Error> body must not count as success")
            } catch let error as S3Error {
                #expect(error.s3Code == "InternalError")
                #expect(error.status == 200)
            }
            await #expect(throws: S3Error.self) { try await client.headObject(bucket: bucket, key: "never.bin") }
        }
    }

    @Test func aBucketInAnotherRegionIsFollowedOrNamed() async throws {
        let proxy = try S3FaultProxy.start(seed: 6, faultRate: 0)
        defer { proxy.stop() }
        let direct = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("region", client: direct) { bucket in
            try await proxy.configure("bucket_region=eu-west-1")
            let client = try S3TestEnvironment.makeClient(endpoint: proxy.endpoint)
            try await client.putObject(bucket: bucket, key: "r.txt", body: .bytes(Array("moved".utf8)))
            #expect(try await client.headObject(bucket: bucket, key: "r.txt").contentLength == 5)
            #expect(try await proxy.stats().redirects == 1, "the region is learnt once per bucket")

            var configuration = client.configuration
            configuration.followRegionRedirects = false
            let strict = S3Client(
                configuration: configuration, credentials: StaticCredentialProvider(S3TestEnvironment.credentials),
                http: HTTPClient(logger: S3TestEnvironment.logger), logger: S3TestEnvironment.logger)
            do {
                _ = try await strict.headObject(bucket: bucket, key: "r.txt")
                Issue.record("a wrong region must fail when redirects are not followed")
            } catch let error as S3Error {
                #expect(error.code == .wrongRegion)
                #expect(error.bucketRegion == "eu-west-1")
                #expect(error.message.contains("eu-west-1"))
            }
            try await proxy.configure("bucket_region=")
        }
    }

    @Test func accessDeniedIsNotRetried() async throws {
        let proxy = try S3FaultProxy.start(seed: 1, faultRate: 0)
        defer { proxy.stop() }
        let client = try S3TestEnvironment.makeClient(
            endpoint: proxy.endpoint, retryPolicy: RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(10)))
        try await proxy.configure("force_status=403")
        try await proxy.resetCounters()
        do {
            try await client.putObject(bucket: "denied-bucket", key: "k", body: .bytes([1, 2, 3]))
            Issue.record("a 403 must fail")
        } catch {
            #expect(error.code == .accessDenied)
            #expect(error.status == 403)
            #expect(error.s3Code == "AccessDenied")
            #expect(error.attempts == 1)
        }
        #expect(try await proxy.stats().requests == 1)
        await #expect(throws: S3Error.self) { try await client.headObject(bucket: "denied-bucket", key: "k") }
        #expect(try await proxy.stats().requests == 2)

        // And a 503 is retried up to the limit.
        try await proxy.configure("force_status=503")
        try await proxy.resetCounters()
        do {
            _ = try await client.headObject(bucket: "denied-bucket", key: "k")
            Issue.record("a 503 every time must fail in the end")
        } catch {
            #expect(error.code == .serviceUnavailable)
            #expect(error.attempts == 5)
        }
        #expect(try await proxy.stats().requests == 5)
    }
}

/// A running `fault_proxy.py`.
final class S3FaultProxy: Sendable {
    struct Stats: Decodable, CustomStringConvertible {
        var requests: Int
        var forwarded: Int
        var faults: [String: Int]
        var forced: Int
        var completeErrors: Int
        var redirects: Int
        /// Requests per HTTP method (`GET`, `PUT`, `DELETE`, …), faulted or not.
        var methods: [String: Int] = [:]
        var description: String { "requests \(requests), forwarded \(forwarded), faults \(faults), forced \(forced)" }
    }

    let server: ChildServer
    let port: Int
    let http = HTTPClient(logger: S3TestEnvironment.logger)

    var endpoint: String { "http://127.0.0.1:\(port)" }

    private init(server: ChildServer, port: Int) {
        self.server = server
        self.port = port
    }

    static func start(seed: Int, faultRate: Double) throws -> S3FaultProxy {
        let script = S3TestEnvironment.repositoryRoot + "/Tests/Support/fault_proxy.py"
        let server = try ChildServer(
            executable: S3TestEnvironment.python,
            arguments: [
                script, "--upstream", S3TestEnvironment.endpointURL, "--seed", String(seed), "--fault-rate",
                String(faultRate),
            ])
        guard server.firstLine.hasPrefix("PORT "), let port = server.port else {
            throw ChildProcess.PythonFailure(message: "fault proxy did not start: \(server.firstLine)")
        }
        return S3FaultProxy(server: server, port: port)
    }

    /// Kills the proxy (our own child) and reaps it.
    func stop() { server.stop() }

    func stats() async throws -> Stats {
        let response = try await http.execute(HTTPRequest(method: "GET", url: endpoint + "/__proxy/stats"))
        return try JSONDecoder().decode(Stats.self, from: Data(response.body))
    }

    func configure(_ query: String) async throws {
        _ = try await http.execute(HTTPRequest(method: "POST", url: endpoint + "/__proxy/config?" + query))
    }

    func resetCounters() async throws {
        _ = try await http.execute(HTTPRequest(method: "POST", url: endpoint + "/__proxy/reset"))
    }
}
