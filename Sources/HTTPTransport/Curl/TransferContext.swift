import CCurl

/// The state of one request while the multi loop runs it: body source, response sink, headers, result.
///
/// Confinement: the caller creates it and sets ``continuation`` before handing it to ``CurlMultiLoop``
/// (through a lock, which orders those writes before the loop thread's reads); from then on only the loop
/// thread and curl's callbacks (which run on that thread) touch it, except ``cancelRequested``, which is
/// guarded by the loop's lock. While curl holds a pointer to it, ``MultiLoopWorker`` keeps it alive.
final class TransferContext: @unchecked Sendable {
    /// Where the request body comes from while curl reads it.
    enum Upload {
        case none
        case bytes([UInt8])
        case file(FileDescriptor, offset: Int64, length: Int64)
    }

    /// Where the loop is with this transfer. Written and read by the loop thread only.
    enum Phase {
        /// Not (yet) taken by the loop thread.
        case new
        /// Waiting for a free slot.
        case queued
        /// Added to the multi handle.
        case running
        /// Resumed.
        case done
    }

    /// Error responses to a file destination are kept in memory up to this many bytes; the rest is dropped.
    static let errorBodyLimit = 1 << 20

    let request: HTTPRequest
    /// The method, upper-cased.
    let method: String
    let url: RedactedURL
    var continuation: CheckedContinuation<Result<HTTPResponse, HTTPTransportError>, Never>?
    /// Set under ``CurlMultiLoop``'s lock only.
    var cancelRequested = false
    var phase = Phase.new
    var easy: EasyHandle?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var started = ContinuousClock.now

    // Request body.
    var upload = Upload.none
    /// Bytes of the body handed to curl since the last rewind.
    var uploadCursor: Int64 = 0

    // Response.
    var status = 0
    var headerFields: [(String, String)] = []
    var body: [UInt8] = []
    var bytesReceived: Int64 = 0
    /// The open destination file, for a `.file` destination.
    var downloadFile: FileDescriptor?
    var downloadOffset: Int64 = 0

    /// An error a callback hit (local file, body too large); it wins over curl's own code.
    var failure: HTTPTransportError?

    // Progress throttling.
    var lastProgress = HTTPProgress(sent: 0, received: 0)
    var lastProgressTime = ContinuousClock.now

    init(request: HTTPRequest) {
        self.request = request
        self.method = request.method.uppercased()
        self.url = RedactedURL(request.url)
    }

    /// Opens the files the request names. Called on the loop thread just before the transfer starts.
    func openFiles() -> HTTPTransportError? {
        switch request.body {
        case .empty: upload = .none
        case .bytes(let bytes): upload = .bytes(bytes)
        case .file(let path, let offset, let length):
            guard offset >= 0, length >= 0 else {
                return HTTPTransportError(code: .invalidRequest, message: "negative offset or length for \(path)")
            }
            switch FileDescriptor.openForReading(path) {
            case .success(let fd): upload = .file(fd, offset: offset, length: length)
            case .failure(let error): return error
            }
        }
        if case .file(let path, let offset) = request.destination {
            guard offset >= 0 else {
                return HTTPTransportError(code: .invalidRequest, message: "negative offset for \(path)")
            }
            switch FileDescriptor.openForWriting(path, truncatingTo: offset) {
            case .success(let fd):
                downloadFile = fd
                downloadOffset = offset
            case .failure(let error): return error
            }
        }
        return nil
    }

    /// Closes files and frees the header list. Safe to call more than once.
    func releaseResources() {
        if case .file(let fd, _, _) = upload { fd.close() }
        upload = .none
        downloadFile?.close()
        downloadFile = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
    }

    /// Resumes the waiting caller, once.
    func resume(_ result: Result<HTTPResponse, HTTPTransportError>) {
        releaseResources()
        continuation?.resume(returning: result)
        continuation = nil
    }

    /// The response assembled from what the callbacks collected.
    func response(status finalStatus: Int) -> HTTPResponse {
        HTTPResponse(
            status: finalStatus, headers: HTTPHeaders(headerFields), body: body, bytesReceived: bytesReceived)
    }
}
