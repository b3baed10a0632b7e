import Foundation
import HTTPTransport
import Logging
import S3

/// Uploads to and downloads from the signed Azure blob URLs the cache service hands out, streamed from and to
/// files: one Put Blob for a small archive, else Put Block in parallel and one Put Block List; downloads as
/// parallel ranged GETs into part files that a retry resumes from where they stopped.
///
/// Signed URLs are secrets (their query holds the signature): messages and logs name only the host and path.
struct BlobTransfer: Sendable {
    let http: HTTPClient
    let retry: RetryPolicy
    let maxRetryAfter: Duration
    let blockSize: Int64
    let concurrency: Int
    let logger: Logger

    static let apiVersion = "2023-11-03"
    static let sha256Metadata = "x-ms-meta-storagecachesha256"
    static let metadataPrefix = "x-ms-meta-"

    /// The signed URL was refused as expired or badly signed (HTTP 403): a new one may help.
    struct URLRefused: Error {}

    enum BlobError: Error {
        case store(StoreError)
        case refused
    }

    // MARK: Upload

    /// Uploads `length` bytes of `path` to `url`, recording `sha256` and `metadata` (the entry's
    /// ``SaveOptions/metadata``, as `x-ms-meta-<name>`) as blob metadata.
    func upload(
        path: String, length: Int64, sha256: String, metadata: [String: String] = [:], to url: String
    ) async throws(StoreError) {
        var meta = HTTPHeaders()
        meta.add(name: Self.sha256Metadata, value: sha256)
        for name in metadata.keys.sorted() { meta.add(name: Self.metadataPrefix + name, value: metadata[name]!) }
        if length <= blockSize {
            var headers = meta
            headers.add(name: "x-ms-blob-type", value: "BlockBlob")
            headers.add(name: "Content-Type", value: "application/octet-stream")
            try await send("Put Blob", url, "PUT", headers, .file(path: path, offset: 0, length: length))
            return
        }
        let count = Int((length + blockSize - 1) / blockSize)
        let ids = (0..<count).map { Self.blockID($0) }
        try await Concurrently.run(count: count, limit: concurrency) { index throws(StoreError) in
            let offset = Int64(index) * blockSize
            let size = min(blockSize, length - offset)
            let blockURL = Self.appending(url, "comp=block&blockid=\(Self.queryEscape(ids[index]))")
            try await send(
                "Put Block \(index + 1)/\(count)", blockURL, "PUT", [:], .file(path: path, offset: offset, length: size)
            )
        }
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>"
        for id in ids { xml += "<Latest>\(id)</Latest>" }
        xml += "</BlockList>"
        var headers = meta
        headers.add(name: "Content-Type", value: "application/xml")
        headers.add(name: "x-ms-blob-content-type", value: "application/octet-stream")
        try await send("Put Block List", Self.appending(url, "comp=blocklist"), "PUT", headers, .bytes(Array(xml.utf8)))
    }

    /// Block ids: base64 of a fixed-length name, so every id of the blob has the same length (Azure's rule).
    static func blockID(_ index: Int) -> String {
        let name = "block-" + String(repeating: "0", count: max(0, 6 - String(index).count)) + String(index)
        return Data(name.utf8).base64EncodedString()
    }

    static func queryEscape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    static func appending(_ url: String, _ query: String) -> String {
        url + (url.contains("?") ? "&" : "?") + query
    }

    private func send(
        _ what: String, _ url: String, _ method: String, _ extra: HTTPHeaders, _ body: HTTPRequestBody
    ) async throws(StoreError) {
        var headers = extra
        headers.add(name: "x-ms-version", value: Self.apiVersion)
        let request = HTTPRequest(
            method: method, url: url, headers: headers, body: body, destination: .memory(limit: 1 << 20))
        var attempt = 0
        while true {
            attempt += 1
            var wait = retry.backoff(afterAttempt: attempt)
            switch await execute(request) {
            case .success(let response):
                if (200..<300).contains(response.status) { return }
                let problem =
                    "\(what) to \(RetryTiming.redact(url)) answered HTTP \(response.status)\(Self.azureCode(response))"
                guard Self.retryable(response.status), attempt < retry.maxAttempts else {
                    let code: StoreError.Code = response.status == 403 ? .accessDenied : .io
                    throw StoreError(code: code, message: "GitHub Actions cache upload failed: \(problem)")
                }
                wait = RetryTiming.wait(
                    retryAfter: response.headers["Retry-After"], fallback: wait, cap: maxRetryAfter)
                logger.info("\(problem); retrying in \(wait)")
            case .failure(let error):
                guard error.isTransient, attempt < retry.maxAttempts else {
                    throw StoreError(code: .io, message: "GitHub Actions cache upload failed: \(what): \(error)")
                }
                logger.info("\(what): \(error); retrying")
            }
            try await RetryTiming.sleep(wait)
        }
    }

    private func execute(_ request: HTTPRequest) async -> Result<HTTPResponse, HTTPTransportError> {
        do {
            return .success(try await http.execute(request))
        } catch {
            return .failure(error)
        }
    }

    static func retryable(_ status: Int) -> Bool {
        RetryPolicy.retryableStatuses.contains(status) || status == 408
    }

    static func azureCode(_ response: HTTPResponse) -> String {
        response.headers["x-ms-error-code"].map { " (\($0))" } ?? ""
    }

    // MARK: Download

    /// What a probe of a blob found.
    struct BlobInfo: Sendable {
        var size: Int64
        var sha256: String?
        /// The blob's other `x-ms-meta-*` metadata (names without the prefix, lower-cased).
        var metadata: [String: String] = [:]
    }

    /// The `x-ms-meta-*` fields of `headers` other than the SHA-256.
    static func entryMetadata(_ headers: HTTPHeaders) -> [String: String] {
        var metadata: [String: String] = [:]
        for field in headers {
            let name = field.name.lowercased()
            guard name.hasPrefix(metadataPrefix), name != sha256Metadata else { continue }
            metadata[String(name.dropFirst(metadataPrefix.count))] = field.value
        }
        return metadata
    }

    /// Reads the blob's size and recorded SHA-256 with a one-byte ranged GET.
    func probe(_ url: String) async throws(BlobError) -> BlobInfo {
        var headers = HTTPHeaders()
        headers.add(name: "x-ms-version", value: Self.apiVersion)
        headers.add(name: "Range", value: "bytes=0-0")
        let request = HTTPRequest(method: "GET", url: url, headers: headers, destination: .memory(limit: 1 << 20))
        var attempt = 0
        while true {
            attempt += 1
            var wait = retry.backoff(afterAttempt: attempt)
            switch await execute(request) {
            case .success(let response):
                let sha = response.headers[Self.sha256Metadata]
                switch response.status {
                case 206:
                    if let range = response.headers["Content-Range"], let total = range.split(separator: "/").last,
                        let size = Int64(total)
                    {
                        return BlobInfo(size: size, sha256: sha, metadata: Self.entryMetadata(response.headers))
                    }
                    throw .store(StoreError(code: .io, message: "the cache blob answered without a Content-Range"))
                case 200:
                    return BlobInfo(
                        size: response.bytesReceived, sha256: sha, metadata: Self.entryMetadata(response.headers))
                case 416: return BlobInfo(size: 0, sha256: sha, metadata: Self.entryMetadata(response.headers))
                case 403: throw .refused
                default:
                    let problem =
                        "GitHub Actions cache download from \(RetryTiming.redact(url)) answered HTTP \(response.status)\(Self.azureCode(response))"
                    guard Self.retryable(response.status), attempt < retry.maxAttempts else {
                        throw .store(StoreError(code: .io, message: problem))
                    }
                    wait = RetryTiming.wait(
                        retryAfter: response.headers["Retry-After"], fallback: wait, cap: maxRetryAfter)
                    logger.info("\(problem); retrying in \(wait)")
                }
            case .failure(let error):
                guard error.isTransient, attempt < retry.maxAttempts else {
                    throw .store(StoreError(code: .io, message: "GitHub Actions cache download failed: \(error)"))
                }
                logger.info("cache download probe: \(error); retrying")
            }
            do { try await RetryTiming.sleep(wait) } catch { throw .store(error) }
        }
    }

    /// The part files a download of `size` bytes uses, in order: `<base>.part-<n>`.
    func parts(size: Int64, base: String) -> [(path: String, offset: Int64, length: Int64)] {
        let count = max(1, Int((size + blockSize - 1) / blockSize))
        return (0..<count).map { index in
            let offset = Int64(index) * blockSize
            return (path: "\(base).part-\(index)", offset: offset, length: min(blockSize, size - offset))
        }
    }

    /// Downloads every part not yet complete, in parallel, each resumed from the bytes its file already holds.
    func download(_ url: String, parts: [(path: String, offset: Int64, length: Int64)]) async throws(BlobError) {
        let outcome: Result<Void, StoreError>
        let refusedFlag = Flag()
        do throws(StoreError) {
            try await Concurrently.run(count: parts.count, limit: concurrency) { index throws(StoreError) in
                let part = parts[index]
                do throws(BlobError) {
                    try await downloadPart(url, part, index: index, of: parts.count)
                } catch {
                    switch error {
                    case .refused:
                        refusedFlag.set()
                        throw StoreError(code: .accessDenied, message: "refused")
                    case .store(let error):
                        throw error
                    }
                }
            }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        if refusedFlag.isSet { throw .refused }
        if case .failure(let error) = outcome { throw .store(error) }
    }

    private func downloadPart(
        _ url: String, _ part: (path: String, offset: Int64, length: Int64), index: Int, of count: Int
    ) async throws(BlobError) {
        var attempt = 0
        while true {
            let have = FileSystem.fileSize(part.path) ?? 0
            if have == part.length { return }
            if have > part.length { FileSystem.removeFile(part.path) }
            let start = have > part.length ? 0 : have
            attempt += 1
            var headers = HTTPHeaders()
            headers.add(name: "x-ms-version", value: Self.apiVersion)
            headers.add(name: "Range", value: "bytes=\(part.offset + start)-\(part.offset + part.length - 1)")
            let request = HTTPRequest(
                method: "GET", url: url, headers: headers, destination: .file(path: part.path, offset: start))
            var wait = retry.backoff(afterAttempt: attempt)
            let what = "part \(index + 1)/\(count) of \(RetryTiming.redact(url))"
            switch await execute(request) {
            case .success(let response):
                switch response.status {
                case 200, 206:
                    if FileSystem.fileSize(part.path) == part.length { return }
                    logger.info("cache download \(what) stopped short; resuming")
                case 403:
                    throw .refused
                default:
                    let problem =
                        "GitHub Actions cache download of \(what) answered HTTP \(response.status)\(Self.azureCode(response))"
                    guard Self.retryable(response.status) else {
                        throw .store(StoreError(code: .io, message: problem))
                    }
                    wait = RetryTiming.wait(
                        retryAfter: response.headers["Retry-After"], fallback: wait, cap: maxRetryAfter)
                    logger.info("\(problem); retrying in \(wait)")
                }
            case .failure(let error):
                guard error.isTransient else {
                    throw .store(StoreError(code: .io, message: "GitHub Actions cache download failed: \(error)"))
                }
                logger.info(
                    "cache download \(what): \(error); resuming from byte \(FileSystem.fileSize(part.path) ?? 0)")
            }
            guard attempt < retry.maxAttempts else {
                throw BlobError.store(
                    StoreError(
                        code: .io, message: "GitHub Actions cache download of \(what) failed after \(attempt) attempts")
                )
            }
            do { try await RetryTiming.sleep(wait) } catch { throw .store(error) }
        }
    }
}

/// A flag set from any task.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Runs `body(0..<count)` with at most `limit` at once; the first error cancels the rest and is thrown.
enum Concurrently {
    static func run(
        count: Int, limit: Int, _ body: @escaping @Sendable (Int) async throws(StoreError) -> Void
    ) async throws(StoreError) {
        let result: Result<Void, StoreError> = await withTaskGroup(of: Result<Void, StoreError>.self) { group in
            var next = 0
            var failure: StoreError?
            func add() {
                let index = next
                next += 1
                group.addTask {
                    do throws(StoreError) {
                        try await body(index)
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
            }
            while next < min(count, max(1, limit)) { add() }
            for await outcome in group {
                if case .failure(let error) = outcome, failure == nil {
                    failure = error
                    group.cancelAll()
                }
                if failure == nil, next < count { add() }
            }
            return failure.map { .failure($0) } ?? .success(())
        }
        try result.get()
    }
}
