import CCurl

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// libcurl's callbacks. Each receives the transfer's ``TransferContext`` as its user-data pointer
/// (passed unretained: ``MultiLoopWorker`` holds the context for as long as curl can call back).
extension TransferContext {
    var userData: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ raw: UnsafeMutableRawPointer?) -> TransferContext {
        Unmanaged<TransferContext>.fromOpaque(raw!).takeUnretainedValue()
    }

    static let writeCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int =
        { data, size, count, user in
            from(user).receive(UnsafeRawPointer(data!), count: size * count)
        }

    static let readCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int =
        { buffer, size, count, user in
            from(user).send(into: UnsafeMutableRawPointer(buffer!), capacity: size * count)
        }

    static let headerCallback:
        @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
            data, size, count, user in
            let length = size * count
            from(user).header(UnsafeRawBufferPointer(start: data, count: length))
            return length
        }

    static let seekCallback: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, Int32) -> Int32 = {
        user, offset, origin in
        from(user).seek(to: Int64(offset), origin: origin)
    }

    static let progressCallback:
        @convention(c) (UnsafeMutableRawPointer?, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> Int32 = {
            user, _, downloaded, _, uploaded in
            from(user).progress(sent: Int64(uploaded), received: Int64(downloaded), force: false)
            return 0
        }

    /// ``HTTPRequest/connectionCheck`` on the connected peer; a refusal aborts before the request is sent.
    static let prereqCallback:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int32, Int32
        )
            -> Int32 = { user, primaryIP, _, _, _ in
                let transfer = from(user)
                guard let check = transfer.request.connectionCheck else { return 0 }
                let address = primaryIP.map { String(cString: $0) } ?? ""
                guard let refusal = check(address) else { return 0 }
                transfer.failure = HTTPTransportError(code: .invalidRequest, message: refusal)
                return 1  // CURL_PREREQFUNC_ABORT
            }

    /// Response body bytes. Returning fewer than `count` makes curl fail the transfer with a write error.
    func receive(_ data: UnsafeRawPointer, count: Int) -> Int {
        if let file = downloadFile, status < 300 {
            guard file.writeAll(data, count: count, at: downloadOffset + bytesReceived) else {
                failure = .localFile("cannot write the response body", errno: errno)
                return 0
            }
        } else {
            let limit: Int
            if case .memory(let memoryLimit) = request.destination {
                limit = memoryLimit
                guard body.count + count <= limit else {
                    failure = HTTPTransportError(
                        code: .bodyTooLarge,
                        message: "\(method) \(url.origin): response body larger than the \(limit)-byte limit")
                    return 0
                }
            } else {
                limit = Self.errorBodyLimit
            }
            let kept = min(count, max(0, limit - body.count))
            body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: kept))
        }
        bytesReceived += Int64(count)
        return count
    }

    /// Request body bytes for curl: up to `capacity` bytes, 0 at the end, or `CURL_READFUNC_ABORT`.
    func send(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        switch upload {
        case .none:
            return 0
        case .bytes(let bytes):
            let start = Int(uploadCursor)
            let n = min(capacity, bytes.count - start)
            guard n > 0 else { return 0 }
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + start, byteCount: n) }
            uploadCursor += Int64(n)
            return n
        case .file(let fd, let offset, let length):
            let want = Int(min(Int64(capacity), length - uploadCursor))
            guard want > 0 else { return 0 }
            let n = fd.read(into: buffer, count: want, at: offset + uploadCursor)
            if n < 0 {
                failure = .localFile("cannot read the request body", errno: errno)
                return Int(CURL_READFUNC_ABORT)
            }
            if n == 0 {
                failure = HTTPTransportError(
                    code: .localFile, message: "the request body file ended \(length - uploadCursor) bytes early")
                return Int(CURL_READFUNC_ABORT)
            }
            uploadCursor += Int64(n)
            return n
        }
    }

    /// Moves the upload cursor so curl can resend the body (after a redirect, auth retry or reused connection).
    func seek(to offset: Int64, origin: Int32) -> Int32 {
        guard origin == SEEK_SET, offset >= 0, offset <= request.body.count else {
            return Int32(CURL_SEEKFUNC_CANTSEEK)
        }
        uploadCursor = offset
        return Int32(CURL_SEEKFUNC_OK)
    }

    /// One header line, including its CRLF. A status line starts a new response (after `100 Continue`).
    func header(_ raw: UnsafeRawBufferPointer) {
        var end = raw.count
        while end > 0, raw[end - 1] == 0x0D || raw[end - 1] == 0x0A { end -= 1 }
        let line = String(decoding: UnsafeRawBufferPointer(rebasing: raw[..<end]), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headerFields = []
            return
        }
        guard !line.isEmpty else { return }
        if let first = line.first, first == " " || first == "\t", let previous = headerFields.popLast() {
            // An obsolete folded continuation line.
            headerFields.append((previous.0, previous.1 + " " + trimmed(Substring(line))))
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        headerFields.append((String(line[..<colon]), trimmed(line[line.index(after: colon)...])))
    }

    private func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// Reports progress to the request's callback, at most every 64 KiB or 100 ms unless `force`.
    func progress(sent: Int64, received: Int64, force: Bool) {
        guard let onProgress = request.onProgress else { return }
        let current = HTTPProgress(sent: sent, received: received)
        guard current != lastProgress else { return }
        let now = ContinuousClock.now
        let moved = (sent - lastProgress.sent) + (received - lastProgress.received)
        guard force || moved >= 64 << 10 || now - lastProgressTime >= .milliseconds(100) else { return }
        lastProgress = current
        lastProgressTime = now
        onProgress(current)
    }
}
