import CCurl

/// Process-wide libcurl initialisation.
enum CurlGlobal {
    /// `curl_global_init(CURL_GLOBAL_DEFAULT)`'s result. A `static let` is initialised exactly once,
    /// thread-safely, on first access; the library is never de-initialised (it lives as long as the process).
    private static let initResult: CURLcode = sc_global_init_default()

    /// Initialises libcurl if no one has yet; returns an error if that failed.
    static func ensureInitialized() -> HTTPTransportError? {
        let code = initResult
        guard code != CURLE_OK else { return nil }
        return HTTPTransportError(
            code: .other, message: "libcurl failed to initialise: \(CurlError.describe(code))",
            curlCode: Int32(code.rawValue))
    }
}
