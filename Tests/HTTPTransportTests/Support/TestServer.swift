import Foundation
import TestServers

/// The loopback test server (`test_server.py`), one process per test. It exits when this object goes away
/// or the test process ends (its stdin closes).
final class TestServer: @unchecked Sendable {
    let port: Int
    private let server: ChildServer

    let scheme: String

    var base: String { "\(scheme)://127.0.0.1:\(port)" }

    /// Starts a plain HTTP server, or an HTTPS one when given a certificate and key (PEM files).
    ///
    /// The waiting happens off Swift's cooperative pool (2 threads here), so parallel tests do not starve it.
    static func start(tls: (certificate: String, key: String)? = nil) async throws -> TestServer {
        try await TestSupport.offPool { try TestServer(tls: tls) }
    }

    private init(tls: (certificate: String, key: String)?) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("test_server.py")
        server = try ChildServer(
            executable: "/usr/bin/env",
            arguments: ["python3", script.path] + (tls.map { ["--tls", $0.certificate, $0.key] } ?? []), stderr: nil)
        guard let port = server.port else { throw TestServerError.noPort }
        self.port = port
        self.scheme = tls == nil ? "http" : "https"
    }

    func url(_ path: String) -> String { base + path }
}

enum TestServerError: Error {
    case noPort
}
