import Foundation
import HTTPTransport
import Testing

@Suite("HTTPClient against a loopback server")
struct HTTPClientTests {
    @Test func getToMemoryReturnsBodyAndCaseInsensitiveHeaders() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client()
        let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/hello")))
        #expect(response.status == 200)
        #expect(response.text == "hello world")
        #expect(response.bytesReceived == 11)
        #expect(response.headers["x-test-header"] == "Value-1")
        #expect(response.headers["X-TEST-HEADER"] == "Value-1")
        #expect(response.headers["content-length"] == "11")
    }

    @Test func sendsUserAgentAndNeitherExpectNorAcceptEncoding() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client { $0.userAgent = "storage-cache-test/1" }
        let request = HTTPRequest(
            method: "GET", url: server.url("/echo-headers"), headers: ["X-Custom": "abc", "X-Empty": ""])
        let lines = try await client.execute(request).text.split(separator: "\n").map(String.init)
        #expect(lines.contains("User-Agent: storage-cache-test/1"))
        #expect(lines.contains("X-Custom: abc"))
        #expect(lines.contains("X-Empty: "))
        #expect(!lines.contains { $0.lowercased().hasPrefix("accept-encoding") })
        #expect(!lines.contains { $0.lowercased().hasPrefix("expect") })
    }

    @Test func headReturnsHeadersWithoutBody() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client()
        let response = try await client.execute(HTTPRequest(method: "HEAD", url: server.url("/bytes?n=12345")))
        #expect(response.status == 200)
        #expect(response.headers["Content-Length"] == "12345")
        #expect(response.body.isEmpty)
        #expect(response.bytesReceived == 0)
    }

    @Test func putStreamsAFileRangeByteExact() async throws {
        let server = try await TestServer.start()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try TestSupport.randomFile(in: directory, count: 6 << 20)
        let offset: Int64 = 1000
        let length: Int64 = (5 << 20) + 7
        let progress = ProgressLog()
        let request = HTTPRequest(
            method: "PUT", url: server.url("/sha256"), body: .file(path: file.path, offset: offset, length: length),
            onProgress: { progress.record($0) })
        let response = try await TestSupport.client().execute(request)
        let expected = try await TestSupport.sha256(of: file.path, offset: offset, length: length)
        #expect(response.status == 200)
        #expect(response.text == "\(expected) \(length)")
        #expect(progress.last?.sent == length)
    }

    @Test func postSendsInMemoryBytes() async throws {
        let server = try await TestServer.start()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = Array("<Delete><Object><Key>a</Key></Object></Delete>".utf8)
        let file = directory.appendingPathComponent("body")
        try Data(bytes).write(to: file)
        let request = HTTPRequest(method: "POST", url: server.url("/sha256"), body: .bytes(bytes))
        let response = try await TestSupport.client().execute(request)
        let expected = try await TestSupport.sha256(of: file.path, offset: 0, length: Int64(bytes.count))
        #expect(response.text == "\(expected) \(bytes.count)")
    }

    @Test func getIntoAFileAtAnOffsetKeepsThePrefixAndTruncates() async throws {
        let server = try await TestServer.start()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("download")
        try Data(Array("PREFIX----".utf8) + [UInt8](repeating: 0xEE, count: 500_000)).write(to: file)
        let count = 300_000
        let request = HTTPRequest(
            method: "GET", url: server.url("/bytes?n=\(count)"), destination: .file(path: file.path, offset: 10))
        let response = try await TestSupport.client().execute(request)
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.bytesReceived == Int64(count))
        let written = try [UInt8](Data(contentsOf: file))
        #expect(written.count == 10 + count)
        #expect(Array(written.prefix(10)) == Array("PREFIX----".utf8))
        #expect(Array(written.dropFirst(10)) == TestSupport.pattern(count))
    }

    @Test func errorStatusWithFileDestinationKeepsBodyInMemory() async throws {
        let server = try await TestServer.start()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("download")
        try Data(Array("KEEP".utf8) + [UInt8](repeating: 0xEE, count: 100)).write(to: file)
        let request = HTTPRequest(
            method: "GET", url: server.url("/status/404"), destination: .file(path: file.path, offset: 4))
        let response = try await TestSupport.client().execute(request)
        #expect(response.status == 404)
        #expect(response.text.contains("<Code>NoSuchKey</Code>"))
        #expect(try Data(contentsOf: file) == Data("KEEP".utf8))
    }

    @Test func memoryLimitFailsWithBodyTooLarge() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client()
        let request = HTTPRequest(method: "GET", url: server.url("/bytes?n=100000"), destination: .memory(limit: 1000))
        let error = await TestSupport.error { () async throws(HTTPTransportError) in try await client.execute(request) }
        #expect(error?.code == .bodyTooLarge)
        let fits = HTTPRequest(method: "GET", url: server.url("/bytes?n=1000"), destination: .memory(limit: 1000))
        #expect(try await client.execute(fits).body == TestSupport.pattern(1000))
    }

    @Test func manyConcurrentRequestsSucceedOverFewConnections() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client { $0.maxConcurrentRequests = 16 }
        let results = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for index in 0..<200 {
                group.addTask {
                    let response = try await client.execute(
                        HTTPRequest(method: "GET", url: server.url("/bytes?n=\(index)")))
                    #expect(response.status == 200)
                    return response.body
                }
            }
            return try await group.reduce(into: [Int: [UInt8]]()) { $0[$1.count] = $1 }
        }
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0.value == TestSupport.pattern($0.key) })
        let connections = try await client.execute(HTTPRequest(method: "GET", url: server.url("/connections")))
        // At most 16 at once; reuse keeps the total near that, far below one connection per request.
        #expect(Int(connections.text)! <= 17)
    }
}

/// Progress reports collected from the transport thread.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [HTTPProgress] = []

    func record(_ progress: HTTPProgress) { lock.withLock { reports.append(progress) } }

    var last: HTTPProgress? { lock.withLock { reports.last } }
}
