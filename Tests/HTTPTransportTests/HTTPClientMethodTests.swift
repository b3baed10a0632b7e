import Foundation
import HTTPTransport
import Testing

@Suite("HTTPClient methods")
struct HTTPClientMethodTests {
    func echo(_ request: HTTPRequest) async throws -> [String] {
        try await TestSupport.client().execute(request).text.split(separator: "\n").map(String.init)
    }

    @Test func deleteIsSentAsDeleteWithoutBody() async throws {
        let server = try await TestServer.start()
        let lines = try await echo(HTTPRequest(method: "DELETE", url: server.url("/echo-headers")))
        #expect(lines.first == "DELETE")
        #expect(!lines.contains { $0.lowercased().hasPrefix("content-length") && $0 != "Content-Length: 0" })
    }

    @Test func emptyPostSendsZeroLengthAndNoFormContentType() async throws {
        let server = try await TestServer.start()
        let lines = try await echo(HTTPRequest(method: "post", url: server.url("/echo-headers")))
        #expect(lines.first == "POST")
        #expect(lines.contains("Content-Length: 0"))
        #expect(!lines.contains { $0.lowercased().hasPrefix("content-type") })
    }

    @Test func customMethodWithBodyUploadsIt() async throws {
        let server = try await TestServer.start()
        let lines = try await echo(
            HTTPRequest(method: "DELETE", url: server.url("/echo-headers"), body: .bytes(Array("abc".utf8))))
        #expect(lines.first == "DELETE")
        #expect(lines.contains("Content-Length: 3"))
    }

    @Test func invalidMethodIsRejected() async throws {
        let client = TestSupport.client()
        let error = await TestSupport.error { () async throws(HTTPTransportError) in
            try await client.execute(HTTPRequest(method: "GET /x", url: "http://127.0.0.1:1/"))
        }
        #expect(error?.code == .invalidRequest)
    }
}
