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

    /// A file of `count` random bytes (from `/dev/urandom`).
    static func randomFile(in directory: URL, count: Int) throws -> URL {
        let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? random.close() }
        let url = directory.appendingPathComponent("random-\(count)")
        try (random.readData(ofLength: count)).write(to: url)
        return url
    }

    /// Runs blocking work (child processes, pipes) on a global dispatch queue instead of the cooperative pool.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// SHA-256 (hex) of `length` bytes of `path` from `offset`, computed by Python's hashlib as an oracle.
    static func sha256(of path: String, offset: Int64, length: Int64) async throws -> String {
        try await offPool { try sha256Blocking(of: path, offset: offset, length: length) }
    }

    private static func sha256Blocking(of path: String, offset: Int64, length: Int64) throws -> String {
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
