import CCurl

/// Maps libcurl's `CURLcode` to ``HTTPTransportError``.
enum CurlError {
    /// The coarse error kind for `code`.
    static func code(for code: CURLcode) -> HTTPTransportError.Code {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_PROXY:
            return .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM, CURLE_HTTP3, CURLE_WEIRD_SERVER_REPLY, CURLE_SEND_FAIL_REWIND, CURLE_AGAIN,
            CURLE_BAD_CONTENT_ENCODING, CURLE_QUIC_CONNECT_ERROR:
            return .network
        case CURLE_READ_ERROR, CURLE_WRITE_ERROR:
            return .localFile
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN, CURLE_UNKNOWN_OPTION,
            CURLE_SETOPT_OPTION_SYNTAX, CURLE_BAD_FUNCTION_ARGUMENT:
            return .invalidRequest
        default:
            return .other
        }
    }

    /// libcurl's fixed description of `code`.
    static func describe(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "curl error \(code.rawValue)" }
        return String(cString: text)
    }

    /// The error for a transfer that ended with `code`.
    ///
    /// - Parameters:
    ///   - method: the request method, printed as is.
    ///   - url: the request URL; only its origin is printed, and its query is scrubbed from `detail`.
    ///   - detail: the text of `CURLOPT_ERRORBUFFER`, if any.
    static func error(_ code: CURLcode, method: String, url: RedactedURL, detail: String) -> HTTPTransportError {
        let kind = self.code(for: code)
        var message = "\(method) \(url.origin): \(summary(kind))"
        let scrubbed = url.scrub(detail.isEmpty ? describe(code) : detail)
        if !scrubbed.isEmpty { message += " (\(scrubbed))" }
        return HTTPTransportError(code: kind, message: message, curlCode: Int32(code.rawValue))
    }

    /// A few words for each kind, used at the front of messages.
    static func summary(_ kind: HTTPTransportError.Code) -> String {
        switch kind {
        case .couldNotConnect: "could not connect"
        case .timedOut: "timed out"
        case .tls: "TLS failure"
        case .network: "connection failed mid-transfer"
        case .localFile: "local file error"
        case .bodyTooLarge: "response body too large"
        case .cancelled: "cancelled"
        case .invalidRequest: "invalid request"
        case .other: "transfer failed"
        }
    }
}
