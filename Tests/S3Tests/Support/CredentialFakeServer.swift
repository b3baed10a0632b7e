import Foundation
import HTTPTransport

/// `fake_credentials_server.py` on 127.0.0.1, one process per test; it exits when this object goes away or the
/// test process ends (its stdin closes).
final class CredentialFakeServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let stdin: Pipe

    var base: String { "http://127.0.0.1:\(port)" }

    init(lifetime: Int = 3600) throws {
        let python = SigningPython.interpreter
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.path)
        process.arguments =
            python.arguments + [
                SigningPython.supportDirectory + "/fake_credentials_server.py", "--lifetime", String(lifetime),
            ]
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
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            kill(process.processIdentifier, SIGKILL)  // SIGTERM may be blocked in the child
            throw SigningPython.Failure(description: "fake_credentials_server.py printed no port")
        }
        self.port = port
        self.process = process
        self.stdin = stdin
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        // SIGKILL, not terminate(): a child spawned from a dispatch worker thread inherits its blocked signal
        // mask, so SIGTERM stays pending forever (and waitUntilExit would spin).
        kill(process.processIdentifier, SIGKILL)
    }

    /// The server's counters (`sts`, `container`, `imds_token`, `imds_role`, `imds_creds`) and `last_sts_form`.
    func stats(_ client: HTTPClient) async throws -> [String: Any] {
        let response = try await client.execute(HTTPRequest(method: "GET", url: base + "/stats"))
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    func count(_ name: String, _ client: HTTPClient) async throws -> Int {
        try await stats(client)[name] as? Int ?? -1
    }

    /// A loopback port nothing listens on.
    func freePort(_ client: HTTPClient) async throws -> Int {
        let response = try await client.execute(HTTPRequest(method: "GET", url: base + "/free-port"))
        return Int(String(decoding: response.body, as: UTF8.self)) ?? 9
    }
}
