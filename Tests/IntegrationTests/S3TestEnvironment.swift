import Foundation
import HTTPTransport
import Logging
import S3
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// LocalStack and tool locations for the S3 integration tests.
///
/// Reads `STORAGE_CACHE_TEST_S3_ENDPOINT` (default `http://127.0.0.1:4566`), `STORAGE_CACHE_TEST_PYTHON`
/// (default: the LocalStack venv's python) and `STORAGE_CACHE_BINARY`. When the endpoint does not answer the
/// suites are skipped, except under `CI=true`, where they run and fail.
enum S3TestEnvironment {
    static let environment = ProcessInfo.processInfo.environment

    static let endpointURL = environment["STORAGE_CACHE_TEST_S3_ENDPOINT"] ?? "http://127.0.0.1:4566"

    static let isCI = environment["CI"] == "true"

    /// Whether the suites run: the endpoint accepts a TCP connection, or this is CI (where a dead endpoint fails).
    static let shouldRun: Bool = isCI || isReachable

    static let isReachable: Bool = {
        guard let endpoint = try? S3Endpoint.custom(endpointURL) else { return false }
        return tcpConnects(host: endpoint.host, port: endpoint.port ?? (endpoint.scheme == "https" ? 443 : 80))
    }()

    /// The repository root, from this file's path.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var python: String {
        if let python = environment["STORAGE_CACHE_TEST_PYTHON"] { return python }
        let local = repositoryRoot + "/.localstack/venv/bin/python"
        if FileManager.default.isExecutableFile(atPath: local) { return local }
        return "/work/main/.localstack/venv/bin/python"
    }

    static var binary: String {
        environment["STORAGE_CACHE_BINARY"] ?? repositoryRoot + "/.build/debug/storage-cache"
    }

    static let logger: Logger = {
        var logger = Logger(label: "s3-integration-tests")
        logger.logLevel = .warning
        return logger
    }()

    static let credentials = AWSCredentials(accessKeyID: "test", secretAccessKey: "test")

    /// A client for `endpoint` (LocalStack unless given), with fast retries for tests.
    static func makeClient(
        endpoint: String = endpointURL, retryPolicy: RetryPolicy = RetryPolicy(baseDelay: .milliseconds(20)),
        multipartThreshold: Int64 = 8 << 20, multipartPartSize: Int64 = 8 << 20
    ) throws -> S3Client {
        try #require(isReachable, "the S3 endpoint \(endpointURL) does not answer (CI=true: failing, not skipping)")
        return S3Client(
            configuration: S3ClientConfiguration(
                region: "us-east-1", endpoint: try S3Endpoint.custom(endpoint), retryPolicy: retryPolicy,
                multipartThreshold: multipartThreshold, multipartPartSize: multipartPartSize, multipartConcurrency: 4),
            credentials: StaticCredentialProvider(credentials), http: HTTPClient(logger: logger), logger: logger)
    }

    /// A fresh bucket name for one test.
    static func bucketName(_ label: String) -> String {
        "s3it-\(label)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Creates a bucket, runs `body`, then empties and deletes the bucket whatever happened.
    static func withBucket(
        _ label: String, client: S3Client, _ body: (String) async throws -> Void
    ) async throws {
        let bucket = bucketName(label)
        try await client.createBucket(bucket)
        do {
            try await body(bucket)
        } catch {
            await removeBucket(bucket, client: client)
            throw error
        }
        await removeBucket(bucket, client: client)
    }

    static func removeBucket(_ bucket: String, client: S3Client) async {
        let cleaner = (try? makeClient()) ?? client
        if let keys = try? await cleaner.listObjects(bucket: bucket).objects.map(\.key) {
            _ = try? await cleaner.deleteObjects(bucket: bucket, keys: keys)
        }
        try? await cleaner.deleteBucket(bucket)
    }

    /// A temporary directory, removed after `body`.
    static func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let path = NSTemporaryDirectory() + "s3it-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    /// Writes `size` pseudo-random bytes to `path` in 1 MiB blocks.
    static func writeRandomFile(_ path: String, size: Int, seed: UInt64 = 7) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var state = seed
        var remaining = size
        while remaining > 0 {
            let count = min(remaining, 1 << 20)
            var block = [UInt8](repeating: 0, count: count)
            for index in stride(from: 0, to: count, by: 8) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                withUnsafeBytes(of: state) { bytes in
                    for offset in 0..<min(8, count - index) { block[index + offset] = bytes[offset] }
                }
            }
            try handle.write(contentsOf: block)
            remaining -= count
        }
    }

    static func tcpConnects(host: String, port: Int) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else { return false }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0
    }
}

/// The result of a child process.
struct ProcessOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs child processes with output captured through files (no pipe deadlocks).
enum ChildProcess {
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil
    ) throws -> ProcessOutput {
        let directory = NSTemporaryDirectory() + "s3it-proc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outPath = directory + "/out"
        let errPath = directory + "/err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let inPath = directory + "/in"
            _ = FileManager.default.createFile(atPath: inPath, contents: Data(stdin.utf8))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        }
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return ProcessOutput(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Runs a Python script (from stdin) with the boto3 venv against LocalStack; returns stdout.
    static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = "test"
        environment["AWS_SECRET_ACCESS_KEY"] = "test"
        environment["AWS_DEFAULT_REGION"] = "us-east-1"
        environment["S3_ENDPOINT"] = S3TestEnvironment.endpointURL
        let output = try run(S3TestEnvironment.python, ["-"] + arguments, environment: environment, stdin: script)
        guard output.status == 0 else {
            throw PythonFailure(message: "python exited \(output.status): \(output.stderr.suffix(2000))")
        }
        return output.stdout
    }

    struct PythonFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
