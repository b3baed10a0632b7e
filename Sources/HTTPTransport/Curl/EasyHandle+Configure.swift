import CCurl

/// Setting a handle's options for one request.
extension EasyHandle {
    /// Resets the handle and sets every option `transfer` needs. Returns the first failure, if any.
    ///
    /// Proxies: `CURLOPT_PROXY` is never set, so libcurl takes them from the environment (`http_proxy`,
    /// `https_proxy`/`HTTPS_PROXY`, `all_proxy`, `no_proxy`/`NO_PROXY`).
    /// `CURLOPT_ACCEPT_ENCODING` is never set either, so bodies arrive byte-exact.
    func configure(for transfer: TransferContext, settings: CurlSettings) -> HTTPTransportError? {
        reset()
        var setter = OptionSetter(handle: raw, transfer: transfer)
        setter.string(CURLOPT_URL, transfer.request.url)
        setter.string(CURLOPT_PROTOCOLS_STR, "http,https")
        setter.long(CURLOPT_NOSIGNAL, 1)
        setter.long(CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeoutMilliseconds)
        setter.long(CURLOPT_LOW_SPEED_LIMIT, settings.lowSpeedLimit)
        setter.long(CURLOPT_LOW_SPEED_TIME, settings.lowSpeedTimeSeconds)
        if let total = settings.totalTimeoutMilliseconds { setter.long(CURLOPT_TIMEOUT_MS, total) }
        setter.long(CURLOPT_SSL_VERIFYPEER, settings.verifyTLS ? 1 : 0)
        setter.long(CURLOPT_SSL_VERIFYHOST, settings.verifyTLS ? 2 : 0)
        if let bundle = settings.caBundlePath { setter.string(CURLOPT_CAINFO, bundle) }
        setter.long(
            CURLOPT_HTTP_VERSION, settings.http2 ? Int(CURL_HTTP_VERSION_2TLS) : Int(CURL_HTTP_VERSION_1_1))
        if settings.http2 { setter.long(CURLOPT_PIPEWAIT, 1) }
        setter.long(CURLOPT_TCP_KEEPALIVE, 1)
        setter.long(CURLOPT_TCP_KEEPIDLE, 30)
        setter.long(CURLOPT_TCP_KEEPINTVL, 15)
        setter.string(CURLOPT_USERAGENT, settings.userAgent)

        let user = transfer.userData
        setter.check(sc_easy_setopt_write_cb(raw, TransferContext.writeCallback))
        setter.pointer(CURLOPT_WRITEDATA, user)
        setter.check(sc_easy_setopt_header_cb(raw, TransferContext.headerCallback))
        setter.pointer(CURLOPT_HEADERDATA, user)
        setter.check(sc_easy_setopt_read_cb(raw, TransferContext.readCallback))
        setter.pointer(CURLOPT_READDATA, user)
        setter.check(sc_easy_setopt_seek_cb(raw, TransferContext.seekCallback))
        setter.pointer(CURLOPT_SEEKDATA, user)
        if transfer.request.onProgress != nil {
            setter.check(sc_easy_setopt_xferinfo_cb(raw, TransferContext.progressCallback))
            setter.pointer(CURLOPT_XFERINFODATA, user)
            setter.long(CURLOPT_NOPROGRESS, 0)
        }

        if transfer.request.connectionCheck != nil {
            setter.check(sc_easy_setopt_prereq_cb(raw, TransferContext.prereqCallback))
            setter.check(sc_easy_setopt_prereq_data(raw, user))
        }

        setter.method(transfer.method, bodySize: transfer.request.body.count)
        setter.headers(transfer.request.headers, method: transfer.method)
        return setter.failure
    }
}

/// Sets options one by one, remembering the first failure.
private struct OptionSetter {
    let handle: UnsafeMutableRawPointer
    let transfer: TransferContext
    var failure: HTTPTransportError?

    init(handle: UnsafeMutableRawPointer, transfer: TransferContext) {
        self.handle = handle
        self.transfer = transfer
    }

    mutating func check(_ code: CURLcode) {
        guard code != CURLE_OK, failure == nil else { return }
        failure = CurlError.error(code, method: transfer.method, url: transfer.url, detail: "")
    }

    mutating func long(_ option: CURLoption, _ value: Int) { check(sc_easy_setopt_long(handle, option, value)) }
    mutating func string(_ option: CURLoption, _ value: String) { check(sc_easy_setopt_string(handle, option, value)) }
    mutating func pointer(_ option: CURLoption, _ value: UnsafeMutableRawPointer) {
        check(sc_easy_setopt_pointer(handle, option, value))
    }
    mutating func offset(_ option: CURLoption, _ value: Int64) {
        check(sc_easy_setopt_off(handle, option, curl_off_t(value)))
    }

    /// The method and, for methods with a body, its size (curl then sends `Content-Length`).
    mutating func method(_ method: String, bodySize: Int64) {
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            invalid("the method is not a valid HTTP token")
            return
        }
        switch method {
        case "GET" where transfer.request.body.isEmpty:
            long(CURLOPT_HTTPGET, 1)
        case "HEAD":
            guard transfer.request.body.isEmpty else { return invalid("a HEAD request cannot have a body") }
            long(CURLOPT_NOBODY, 1)
        case "POST":
            long(CURLOPT_POST, 1)
            offset(CURLOPT_POSTFIELDSIZE_LARGE, bodySize)
        case "PUT":
            long(CURLOPT_UPLOAD, 1)
            offset(CURLOPT_INFILESIZE_LARGE, bodySize)
        default:
            if !transfer.request.body.isEmpty {
                long(CURLOPT_UPLOAD, 1)
                offset(CURLOPT_INFILESIZE_LARGE, bodySize)
            }
            string(CURLOPT_CUSTOMREQUEST, method)
        }
    }

    /// The request's headers, plus `Expect:` (no `100-continue` round trip) and, for POST, `Content-Type:`
    /// (no form-encoding default), unless the request sets them. `Content-Length` comes from the body; a
    /// `Content-Length` header must agree with it, and is passed on only where curl would not send one.
    mutating func headers(_ headers: HTTPHeaders, method: String) {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        var lines: [String] = []
        for field in headers {
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(Self.isTokenByte) else {
                return invalid("a header name is not a valid HTTP token")
            }
            guard !field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                return invalid("the value of header \(field.name) contains a line break")
            }
            if field.name.lowercased() == "content-length" {
                // It may be signed, so it must be right; curl sends its own whenever there is a body to send.
                guard field.value == String(transfer.request.body.count) else {
                    return invalid("the Content-Length header does not match the body")
                }
                if method == "POST" || method == "PUT" || !transfer.request.body.isEmpty { continue }
            }
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        if headers["Expect"] == nil { lines.append("Expect:") }
        if method == "POST", headers["Content-Type"] == nil { lines.append("Content-Type:") }
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                return invalid("out of memory building the header list")
            }
            list = appended
        }
        transfer.headerList = list
        check(sc_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list))
    }

    private mutating func invalid(_ reason: String) {
        guard failure == nil else { return }
        failure = HTTPTransportError(
            code: .invalidRequest, message: "\(transfer.method) \(transfer.url.origin): \(reason)")
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

extension HTTPRequestBody {
    /// Whether there is nothing to send.
    var isEmpty: Bool { count == 0 }
}
