import Foundation
import HTTPTransport
import Synchronization
import Testing

@Suite("HTTPClient connection check")
struct HTTPClientConnectionCheckTests {
    @Test func aRefusalFailsTheRequestWithItsMessageAndAPassLetsItThrough() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client()
        let seen = Mutex<[String]>([])
        var refused = HTTPRequest(method: "PUT", url: server.url("/sha256"), body: .bytes([1, 2, 3]))
        refused.connectionCheck = { peer in
            seen.withLock { $0.append(peer) }
            return "link-local-endpoint: refused \(peer)"
        }
        let error = await TestSupport.error { () async throws(HTTPTransportError) in try await client.execute(refused) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message == "link-local-endpoint: refused 127.0.0.1")
        #expect(error?.isTransient == false)
        #expect(seen.withLock { $0 } == ["127.0.0.1"])

        var allowed = HTTPRequest(method: "GET", url: server.url("/hello"))
        allowed.connectionCheck = { _ in nil }
        #expect(try await client.execute(allowed).status == 200)
    }
}
