import Foundation
import HTTPTransport
import Testing

@Suite("HTTPClient failures")
struct HTTPClientFailureTests {
    @Test func closedPortFailsWithCouldNotConnectAndNoQueryInMessage() async throws {
        let client = TestSupport.client()
        // Port 1 (tcpmux) on loopback: nothing listens there, and unlike a "free" port picked at run time no
        // parallel test can take it in between.
        let port = 1
        let url = "http://127.0.0.1:\(port)/bucket/key?X-Amz-Signature=SECRETSIGNATURE&X-Amz-Credential=AKIDSECRET"
        let error = await TestSupport.error { () async throws(HTTPTransportError) in
            try await client.execute(HTTPRequest(method: "GET", url: url))
        }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.isTransient == true)
        let message = error?.message ?? ""
        #expect(message.contains("127.0.0.1:\(port)"))
        #expect(!message.contains("SECRET"))
        #expect(!message.contains("?"))
    }

    @Test func stalledServerTimesOut() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client { $0.lowSpeedTime = .seconds(1) }
        let started = ContinuousClock.now
        let error = await TestSupport.error { () async throws(HTTPTransportError) in
            try await client.execute(
                HTTPRequest(method: "GET", url: server.url("/stall?s=600&X-Amz-Signature=SECRET")))
        }
        #expect(error?.code == .timedOut)
        // The server stays silent for 600 s: ending well before that means the low-speed limit (1 s) fired. The
        // bound is a hang detector, wide enough for a loaded 2-core machine running every suite at once.
        #expect(ContinuousClock.now - started < .seconds(300))
        #expect(error?.message.contains("SECRET") == false)
    }

    @Test func totalTimeoutApplies() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client { $0.totalTimeout = .milliseconds(300) }
        let error = await TestSupport.error { () async throws(HTTPTransportError) in
            try await client.execute(HTTPRequest(method: "GET", url: server.url("/slow?ms=3000")))
        }
        #expect(error?.code == .timedOut)
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let server = try await TestServer.start()
        // No low-speed limit within the server's 60 s of silence: only the abort can end the request early,
        // however loaded the machine is.
        let client = TestSupport.client { $0.lowSpeedTime = .seconds(300) }
        let started = ContinuousClock.now
        let task = Task { () async throws -> HTTPResponse in
            try await client.execute(HTTPRequest(method: "GET", url: server.url("/stall?s=600")))
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = await task.result
        guard case .failure(let error) = result else {
            Issue.record("the cancelled request succeeded")
            return
        }
        #expect((error as? HTTPTransportError)?.code == .cancelled)
        // The server stays silent for 600 s and then closes: only the abort ends it well before that (the bound is
        // a hang detector, wide enough for a loaded machine).
        #expect(ContinuousClock.now - started < .seconds(300))
        // The client still works afterwards.
        #expect(try await client.execute(HTTPRequest(method: "GET", url: server.url("/hello"))).status == 200)
    }

    @Test func cancellationBeforeStartThrowsCancelled() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client()
        let task = Task { () async throws -> HTTPResponse in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.execute(HTTPRequest(method: "GET", url: server.url("/slow?ms=2000")))
        }
        let result = await task.result
        guard case .failure(let error) = result else {
            Issue.record("the cancelled request succeeded")
            return
        }
        #expect((error as? HTTPTransportError)?.code == .cancelled)
    }

    @Test func missingUploadFileFailsWithLocalFile() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client()
        let request = HTTPRequest(
            method: "PUT", url: server.url("/sha256"), body: .file(path: "/nonexistent/file", offset: 0, length: 10))
        let error = await TestSupport.error { () async throws(HTTPTransportError) in try await client.execute(request) }
        #expect(error?.code == .localFile)
    }

    @Test func shortUploadFileFailsWithLocalFile() async throws {
        let server = try await TestServer.start()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try TestSupport.randomFile(in: directory, count: 1000)
        let request = HTTPRequest(
            method: "PUT", url: server.url("/sha256"), body: .file(path: file.path, offset: 0, length: 5000))
        let error = await TestSupport.error { () async throws(HTTPTransportError) in
            try await TestSupport.client().execute(request)
        }
        #expect(error?.code == .localFile)
    }

    @Test func malformedRequestsFailAsInvalidWithoutLeakingSecrets() async throws {
        let client = TestSupport.client()
        let badHeader = HTTPRequest(
            method: "GET", url: "http://127.0.0.1:1/x?sig=SECRET", headers: ["X-Bad": "a\r\nInjected: SECRET"])
        let headerError = await TestSupport.error { () async throws(HTTPTransportError) in
            try await client.execute(badHeader)
        }
        #expect(headerError?.code == .invalidRequest)
        #expect(headerError?.message.contains("SECRET") == false)
        let badScheme = HTTPRequest(method: "GET", url: "file:///etc/passwd?sig=SECRET")
        let schemeError = await TestSupport.error { () async throws(HTTPTransportError) in
            try await client.execute(badScheme)
        }
        #expect(schemeError?.code == .invalidRequest)
        #expect(schemeError?.message.contains("SECRET") == false)
    }
}
