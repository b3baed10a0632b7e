import Foundation
import HTTPTransport
import Testing

@Suite("HTTPClient over TLS")
struct HTTPClientTLSTests {
    /// A self-signed certificate for 127.0.0.1, made with the openssl tool.
    struct Certificate: Sendable {
        let directory: URL
        var certificate: String { directory.appendingPathComponent("cert.pem").path }
        var key: String { directory.appendingPathComponent("key.pem").path }

        static func make() async throws -> Certificate {
            try await TestSupport.offPool { try Certificate() }
        }

        private init() throws {
            directory = try TestSupport.temporaryDirectory()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", directory.appendingPathComponent("key.pem").path,
                "-out", directory.appendingPathComponent("cert.pem").path,
                "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ]
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
        }
    }

    @Test func untrustedCertificateFailsWithTLS() async throws {
        let certificate = try await Certificate.make()
        defer { try? FileManager.default.removeItem(at: certificate.directory) }
        let server = try await TestServer.start(tls: (certificate.certificate, certificate.key))
        let client = TestSupport.client()
        let error = await TestSupport.error { () async throws(HTTPTransportError) in
            try await client.execute(HTTPRequest(method: "GET", url: server.url("/hello?X-Amz-Signature=SECRET")))
        }
        #expect(error?.code == .tls)
        #expect(error?.isTransient == false)
        #expect(error?.message.contains("SECRET") == false)
    }

    @Test func caBundleTrustsTheCertificateAndHTTP2FallsBackToHTTP1() async throws {
        let certificate = try await Certificate.make()
        defer { try? FileManager.default.removeItem(at: certificate.directory) }
        let server = try await TestServer.start(tls: (certificate.certificate, certificate.key))
        let client = TestSupport.client {
            $0.caBundlePath = certificate.certificate
            $0.http2 = true
        }
        let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/hello")))
        #expect(response.status == 200)
        #expect(response.text == "hello world")
    }

    @Test func verificationCanBeTurnedOff() async throws {
        let certificate = try await Certificate.make()
        defer { try? FileManager.default.removeItem(at: certificate.directory) }
        let server = try await TestServer.start(tls: (certificate.certificate, certificate.key))
        let client = TestSupport.client { $0.verifyTLS = false }
        let response = try await client.execute(HTTPRequest(method: "GET", url: server.url("/hello")))
        #expect(response.status == 200)
    }
}
