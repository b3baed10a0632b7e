import Foundation
import HTTPTransport
import Testing

@Suite("HTTPClient large transfers")
struct HTTPClientLargeTransferTests {
    /// Transfer size: 192 MiB by default; set `HTTP_TRANSPORT_LARGE_MIB=2048` to try 2 GiB by hand.
    static let size =
        Int64(ProcessInfo.processInfo.environment["HTTP_TRANSPORT_LARGE_MIB"].flatMap(Int.init) ?? 192) << 20

    /// Resident memory of this process, in bytes (Linux `/proc/self/statm`).
    static func residentBytes() -> Int64 {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return 0 }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func uploadAndDownloadOfLargeFilesKeepMemoryFlat() async throws {
        let server = try await TestServer.start()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let size = Self.size
        // A sparse file: cheap to make, and its reads cost no disk.
        let source = directory.appendingPathComponent("upload")
        _ = FileManager.default.createFile(atPath: source.path, contents: nil)
        let handle = try FileHandle(forWritingTo: source)
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
        let client = TestSupport.client()
        let before = Self.residentBytes()
        let peak = PeakMeter()
        let upload = HTTPRequest(
            method: "PUT", url: server.url("/sha256"), body: .file(path: source.path, offset: 0, length: size),
            onProgress: { _ in peak.sample(Self.residentBytes()) })
        let uploaded = try await client.execute(upload)
        let expected = try await TestSupport.sha256(of: source.path, offset: 0, length: size)
        #expect(uploaded.text == "\(expected) \(size)")

        let destination = directory.appendingPathComponent("download")
        let download = HTTPRequest(
            method: "GET", url: server.url("/bytes?n=\(size)"), destination: .file(path: destination.path, offset: 0),
            onProgress: { _ in peak.sample(Self.residentBytes()) })
        let downloaded = try await client.execute(download)
        #expect(downloaded.status == 200)
        #expect(downloaded.bytesReceived == size)
        let attributes = try FileManager.default.attributesOfItem(atPath: destination.path)
        #expect((attributes[.size] as? NSNumber)?.int64Value == size)
        // Spot-check the tail of the file against the server's pattern.
        let reader = try FileHandle(forReadingFrom: destination)
        try reader.seek(toOffset: UInt64(size - 4096))
        let tail = try [UInt8](reader.read(upToCount: 4096) ?? Data())
        try reader.close()
        #expect(tail == (Int(size) - 4096..<Int(size)).map { UInt8($0 % 251) })

        // Holding either body in memory would add `size` bytes. RSS is the whole test process's, and the other
        // suites run meanwhile (database images, packs: tens of MiB), so the bound is half the size, not a few MiB.
        #expect(before > 0 && peak.value > 0)
        #expect(peak.value - before < size / 2)
        if ProcessInfo.processInfo.environment["HTTP_TRANSPORT_LARGE_MIB"] != nil {
            print(
                "large transfer: \(size >> 20) MiB each way, RSS before \(before >> 20) MiB, peak \(peak.value >> 20) MiB"
            )
        }
    }
}

/// The highest value sampled, from any thread.
final class PeakMeter: @unchecked Sendable {
    private let lock = NSLock()
    private var peak: Int64 = 0

    func sample(_ value: Int64) { lock.withLock { peak = max(peak, value) } }

    var value: Int64 { lock.withLock { peak } }
}
