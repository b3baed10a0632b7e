import CCurl
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The loop thread's side of ``CurlMultiLoop``: runs `curl_multi_poll`/`perform`/`info_read`, starts queued
/// transfers as slots free up, aborts cancelled ones and resumes callers. Everything here runs on that thread.
final class MultiLoopWorker: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let inbox: Locked<CurlMultiLoop.Inbox>
    private let settings: CurlSettings
    private let logger: Logger
    private var waiting = TransferQueue()
    /// Running transfers by easy handle. Holding them here keeps the contexts curl points at alive.
    private var running: [UnsafeMutableRawPointer: TransferContext] = [:]
    private var idleHandles: [EasyHandle] = []

    init(multi: UnsafeMutableRawPointer, inbox: Locked<CurlMultiLoop.Inbox>, settings: CurlSettings, logger: Logger) {
        self.multi = multi
        self.inbox = inbox
        self.settings = settings
        self.logger = logger
    }

    /// The loop; returns after ``CurlMultiLoop/shutdown()``, having freed the multi handle.
    func run() {
        while true {
            let work = inbox.withLock { inbox -> CurlMultiLoop.Inbox in
                defer {
                    inbox.submitted = []
                    inbox.cancelled = []
                }
                return inbox
            }
            if work.shutdown { break }
            for transfer in work.submitted {
                transfer.phase = .queued
                waiting.append(transfer)
            }
            for transfer in work.cancelled { abort(transfer) }
            startWaiting()
            var stillRunning: Int32 = 0
            _ = curl_multi_perform(multi, &stillRunning)
            collectFinished()
            startWaiting()
            if curl_multi_poll(multi, nil, 0, 1000, nil) != CURLM_OK {
                usleep(10_000)  // Never spin if polling itself fails.
            }
        }
        tearDown()
    }

    private func startWaiting() {
        while running.count < settings.maxConcurrentRequests, let transfer = waiting.popFirst() {
            guard transfer.phase == .queued else { continue }
            start(transfer)
        }
    }

    private func start(_ transfer: TransferContext) {
        transfer.started = .now
        if let error = transfer.openFiles() { return finish(transfer, .failure(error)) }
        guard let easy = idleHandles.popLast() ?? EasyHandle() else {
            return finish(transfer, .failure(HTTPTransportError(code: .other, message: "curl_easy_init failed")))
        }
        transfer.easy = easy
        if let error = easy.configure(for: transfer, settings: settings) { return finish(transfer, .failure(error)) }
        let code = curl_multi_add_handle(multi, easy.raw)
        guard code == CURLM_OK else {
            let text = curl_multi_strerror(code).map { String(cString: $0) } ?? "error \(code.rawValue)"
            let message = "\(transfer.method) \(transfer.url.origin): curl_multi_add_handle failed: \(text)"
            return finish(transfer, .failure(HTTPTransportError(code: .other, message: message)))
        }
        transfer.phase = .running
        running[easy.raw] = transfer
        logger.trace(
            "HTTP request started",
            metadata: [
                "http.method": "\(transfer.method)", "http.host": "\(transfer.url.origin)",
                "http.path": "\(transfer.url.path)",
            ])
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                let transfer = running[handle]
            else { continue }
            let code = sc_msg_result(message)
            finish(transfer, result(of: transfer, code: code))
        }
    }

    private func result(of transfer: TransferContext, code: CURLcode) -> Result<HTTPResponse, HTTPTransportError> {
        guard let easy = transfer.easy else { return .failure(CurlMultiLoop.cancelledError(transfer)) }
        if code == CURLE_OK {
            let status = easy.responseCode
            return .success(transfer.response(status: status != 0 ? status : transfer.status))
        }
        if let failure = transfer.failure { return .failure(failure) }
        return .failure(CurlError.error(code, method: transfer.method, url: transfer.url, detail: easy.errorDetail))
    }

    private func abort(_ transfer: TransferContext) {
        switch transfer.phase {
        case .queued, .running: finish(transfer, .failure(CurlMultiLoop.cancelledError(transfer)))
        case .new, .done: break
        }
    }

    /// Detaches the transfer from curl, returns its handle to the pool, logs and resumes the caller.
    private func finish(_ transfer: TransferContext, _ result: Result<HTTPResponse, HTTPTransportError>) {
        if let easy = transfer.easy {
            if transfer.phase == .running {
                transfer.progress(sent: easy.transferred.sent, received: easy.transferred.received, force: true)
                _ = curl_multi_remove_handle(multi, easy.raw)
                running[easy.raw] = nil
            }
            transfer.easy = nil
            if idleHandles.count < settings.maxConcurrentRequests { idleHandles.append(easy) }
        }
        transfer.phase = .done
        log(transfer, result)
        transfer.resume(result)
    }

    private func log(_ transfer: TransferContext, _ result: Result<HTTPResponse, HTTPTransportError>) {
        let elapsed = ContinuousClock.now - transfer.started
        var metadata: Logger.Metadata = [
            "http.method": "\(transfer.method)", "http.host": "\(transfer.url.origin)",
            "http.path": "\(transfer.url.path)", "http.bytes_sent": "\(transfer.uploadCursor)",
            "http.bytes_received": "\(transfer.bytesReceived)",
            "duration_ms": "\(CurlSettings.milliseconds(elapsed))",
        ]
        switch result {
        case .success(let response):
            metadata["http.status"] = "\(response.status)"
            logger.debug("HTTP request finished", metadata: metadata)
        case .failure(let error):
            metadata["error"] = "\(error.message)"
            logger.debug("HTTP request failed", metadata: metadata)
        }
    }

    /// After shutdown: fails what is left, frees every handle, then the multi handle.
    private func tearDown() {
        for transfer in Array(running.values) { finish(transfer, .failure(CurlMultiLoop.cancelledError(transfer))) }
        while let transfer = waiting.popFirst() {
            if transfer.phase == .queued { finish(transfer, .failure(CurlMultiLoop.cancelledError(transfer))) }
        }
        idleHandles.removeAll()
        curl_multi_cleanup(multi)
    }
}
