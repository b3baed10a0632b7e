import Foundation
import HTTPTransport
import Logging

/// Helpers shared by the transport tests.
enum TestSupport {
    static let logger = Logger(label: "HTTPTransportTests")

    static func client(_ configure: (inout HTTPClientConfiguration) -> Void = { _ in }) -> HTTPClient {
        var configuration = HTTPClientConfiguration()
        configuration.connectTimeout = .seconds(5)
        configuration.lowSpeedTime = .seconds(10)
        configure(&configuration)
        return HTTPClient(configuration: configuration, logger: logger)
    }

    /// The bytes `test_server.py` sends for `/bytes?n=N`.
    static func pattern(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8($0 % 251) }
    }

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("HTTPTransportTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A file of `count` pseudo-random bytes.
    static func randomFile(in directory: URL, count: Int) throws -> URL {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        for index in stride(from: 0, to: count, by: 8) {
            let word = generator.next() as UInt64
            for shift in 0..<min(8, count - index) {
                bytes[index + shift] = UInt8(truncatingIfNeeded: word >> (shift * 8))
            }
        }
        let url = directory.appendingPathComponent("random-\(count)")
        try Data(bytes).write(to: url)
        return url
    }

    /// SHA-256 (hex) of `length` bytes of `path` from `offset`, computed by Python's hashlib as an oracle.
    static func sha256(of path: String, offset: Int64, length: Int64) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import hashlib,sys; f=open(sys.argv[1],'rb'); f.seek(int(sys.argv[2]));"
                + " print(hashlib.sha256(f.read(int(sys.argv[3]))).hexdigest())",
            path, String(offset), String(length),
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` and returns the transport error it threw, or `nil` if it did not throw.
    static func error(_ body: () async throws(HTTPTransportError) -> HTTPResponse) async -> HTTPTransportError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }
}

extension HTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}
