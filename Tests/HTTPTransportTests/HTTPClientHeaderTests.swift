import Foundation
import HTTPTransport
import Testing

@Suite("HTTPClient request headers")
struct HTTPClientHeaderTests {
    @Test func contentLengthHeaderMustMatchTheBody() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client()
        let wrong = HTTPRequest(
            method: "PUT", url: server.url("/sha256"), headers: ["Content-Length": "99"], body: .bytes([1, 2, 3]))
        let error = await TestSupport.error { () async throws(HTTPTransportError) in try await client.execute(wrong) }
        #expect(error?.code == .invalidRequest)
        let right = HTTPRequest(
            method: "PUT", url: server.url("/sha256"), headers: ["content-length": "3"], body: .bytes([1, 2, 3]))
        #expect(try await client.execute(right).text.hasSuffix(" 3"))
        let get = HTTPRequest(method: "GET", url: server.url("/echo-headers"), headers: ["Content-Length": "0"])
        #expect(try await client.execute(get).text.contains("Content-Length: 0"))
    }
}
