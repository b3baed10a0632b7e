import Foundation

/// The loopback test server (`test_server.py`), one process per test. It exits when this object goes away
/// or the test process ends (its stdin closes).
final class TestServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let stdin: Pipe

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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + (tls.map { ["--tls", $0.certificate, $0.key] } ?? [])
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        let handle = stdout.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            guard let chunk = try handle.read(upToCount: 1), !chunk.isEmpty else { break }
            line.append(chunk)
        }
        guard let text = String(data: line, encoding: .utf8),
            let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            kill(process.processIdentifier, SIGKILL)  // SIGTERM may be blocked in the child
            throw TestServerError.noPort
        }
        self.port = port
        self.scheme = tls == nil ? "http" : "https"
        self.process = process
        self.stdin = stdin
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        kill(process.processIdentifier, SIGKILL)  // SIGTERM may be blocked in the child
    }

    func url(_ path: String) -> String { base + path }
}

enum TestServerError: Error {
    case noPort
}
