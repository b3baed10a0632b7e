import CCurl
import Logging

/// The curl multi handle and the thread that drives it, as seen from callers on any thread.
///
/// Callers hand transfers over with ``submit(_:)`` and ask for aborts with ``cancel(_:)``; both append to
/// a locked inbox and call `curl_multi_wakeup`, always while holding the lock, so the loop thread (which
/// checks ``Inbox/shutdown`` under the same lock before freeing the multi handle) can never be woken after
/// cleanup. The loop itself lives in ``MultiLoopWorker``.
/// `@unchecked Sendable`: the only mutable state is behind ``inbox``'s lock; the multi handle pointer is
/// used off the loop thread only for `curl_multi_wakeup`, which libcurl allows from any thread.
final class CurlMultiLoop: @unchecked Sendable {
    /// Work handed to the loop thread.
    struct Inbox {
        var submitted: [TransferContext] = []
        var cancelled: [TransferContext] = []
        var shutdown = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Locked(Inbox())

    /// Creates the multi handle and starts its thread.
    init(settings: CurlSettings, logger: Logger) throws(HTTPTransportError) {
        if let error = CurlGlobal.ensureInitialized() { throw error }
        guard let multi = curl_multi_init() else {
            throw HTTPTransportError(code: .other, message: "curl_multi_init failed")
        }
        let connections = settings.maxConcurrentRequests
        _ = sc_multi_setopt_long(multi, CURLMOPT_PIPELINING, sc_pipe_multiplex())
        _ = sc_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections)
        _ = sc_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, connections)
        // The connection cache: keep every connection the transfers opened alive for reuse.
        _ = sc_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, connections)
        self.multi = multi
        let worker = MultiLoopWorker(multi: multi, inbox: inbox, settings: settings, logger: logger)
        guard LoopThread.start({ worker.run() }) else {
            curl_multi_cleanup(multi)
            throw HTTPTransportError(code: .other, message: "cannot start the HTTP transport thread")
        }
    }

    deinit { shutdown() }

    /// Queues `transfer`; its continuation is resumed when it ends. Resumes it at once with `.cancelled`
    /// if cancellation was already requested or the loop has shut down.
    func submit(_ transfer: TransferContext) {
        let accepted = inbox.withLock { inbox in
            guard !inbox.shutdown, !transfer.cancelRequested else { return false }
            inbox.submitted.append(transfer)
            curl_multi_wakeup(multi)
            return true
        }
        if !accepted { transfer.resume(.failure(Self.cancelledError(transfer))) }
    }

    /// Asks the loop to abort `transfer` (a no-op if it has already finished).
    func cancel(_ transfer: TransferContext) {
        inbox.withLock { inbox in
            transfer.cancelRequested = true
            guard !inbox.shutdown else { return }
            inbox.cancelled.append(transfer)
            curl_multi_wakeup(multi)
        }
    }

    /// Stops the loop thread; it fails anything still queued and frees the multi handle.
    func shutdown() {
        inbox.withLock { inbox in
            guard !inbox.shutdown else { return }
            inbox.shutdown = true
            curl_multi_wakeup(multi)
        }
    }

    static func cancelledError(_ transfer: TransferContext) -> HTTPTransportError {
        HTTPTransportError(code: .cancelled, message: "\(transfer.method) \(transfer.url.origin): cancelled")
    }
}
