import CCurl

/// A pooled libcurl easy handle and its error buffer. Used only on the loop thread.
///
/// Handles are reused (`curl_easy_reset`, then options set again); connections live in the multi handle's
/// connection cache, so reuse of handles and of connections are independent.
final class EasyHandle {
    let raw: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER`: libcurl's detail for the last failure.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init?() {
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
        errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// libcurl's detail for the last failure, trimmed; empty if none.
    var errorDetail: String {
        var text = String(cString: errorBuffer)
        while let last = text.last, last == "\n" || last == " " { text.removeLast() }
        return text
    }

    /// The final response's status code.
    var responseCode: Int {
        var code = 0
        _ = sc_easy_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// Body bytes sent and received so far.
    var transferred: HTTPProgress {
        var sent: curl_off_t = 0
        var received: curl_off_t = 0
        _ = sc_easy_getinfo_off(raw, CURLINFO_SIZE_UPLOAD_T, &sent)
        _ = sc_easy_getinfo_off(raw, CURLINFO_SIZE_DOWNLOAD_T, &received)
        return HTTPProgress(sent: Int64(sent), received: Int64(received))
    }

    /// Clears every option and the error buffer, keeping the handle's caches.
    func reset() {
        curl_easy_reset(raw)
        errorBuffer[0] = 0
        _ = sc_easy_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer)
    }
}
