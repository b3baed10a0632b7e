import Foundation
import HTTPTransport
import Logging
import Testing

@Suite("HTTPClient logging")
struct HTTPClientLoggingTests {
    @Test func logsMethodHostPathAndStatusButNeverQueryOrHeaderValues() async throws {
        let server = try await TestServer.start()
        let records = LogRecords()
        var logger = Logger(label: "transport-log-test") { _ in CapturingLogHandler(records: records) }
        logger.logLevel = .trace
        let client = HTTPClient(configuration: HTTPClientConfiguration(), logger: logger)
        let request = HTTPRequest(
            method: "GET", url: server.url("/hello?X-Amz-Signature=SECRETSIG"),
            headers: ["Authorization": "AWS4-HMAC-SHA256 Credential=SECRETCRED"])
        _ = try await client.execute(request)
        let text = records.all.joined(separator: "\n")
        #expect(text.contains("GET"))
        #expect(text.contains("127.0.0.1:\(server.port)"))
        #expect(text.contains("/hello"))
        #expect(text.contains("200"))
        #expect(!text.contains("SECRET"))
    }
}

/// Every log line and its metadata, flattened to text.
final class LogRecords: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    var all: [String] { lock.withLock { lines } }
}

struct CapturingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).merging(metadata) { new, _ in new }
        records.append("\(event.message) \(fields.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
    }
}
