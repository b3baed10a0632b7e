import Foundation
import HTTPTransport
import TestServers

/// `fake_credentials_server.py` on 127.0.0.1, one process per test; it exits when this object goes away or the
/// test process ends (its stdin closes).
final class CredentialFakeServer: @unchecked Sendable {
    let port: Int
    private let server: ChildServer

    var base: String { "http://127.0.0.1:\(port)" }

    init(lifetime: Int = 3600) throws {
        let python = SigningPython.interpreter
        server = try ChildServer(
            executable: python.path,
            arguments: python.arguments + [
                SigningPython.supportDirectory + "/fake_credentials_server.py", "--lifetime", String(lifetime),
            ], stderr: nil)
        guard let port = server.port else {
            throw SigningPython.Failure(description: "fake_credentials_server.py printed no port")
        }
        self.port = port
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
