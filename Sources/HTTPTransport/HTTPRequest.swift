/// Where a request's body comes from. Bodies are streamed: a file body is never loaded into memory.
public enum HTTPRequestBody: Sendable {
    /// No body.
    case empty
    /// A small body held in memory.
    case bytes([UInt8])
    /// `length` bytes of the file at `path`, starting at `offset`. Re-read from `offset` on every attempt.
    case file(path: String, offset: Int64, length: Int64)

    /// The number of bytes the body holds.
    public var count: Int64 {
        switch self {
        case .empty: 0
        case .bytes(let bytes): Int64(bytes.count)
        case .file(_, _, let length): length
        }
    }
}

/// Where a response's body goes.
public enum HTTPResponseDestination: Sendable {
    /// Into ``HTTPResponse/body``, failing with ``HTTPTransportError/Code/bodyTooLarge`` past `limit` bytes.
    case memory(limit: Int)
    /// Into the file at `path`, written from `offset` (the file is created if needed and truncated to `offset`).
    /// Error responses (status ≥ 300) are kept in memory instead, so an error body never lands in the file.
    ///
    /// Exactly: before the request is sent the file is opened (created with mode 0644 if missing) and
    /// truncated to `offset` bytes, whatever the outcome. A status < 300 body is then written from `offset`.
    /// A status ≥ 300 body goes to ``HTTPResponse/body`` instead, up to its first 1 MiB (the rest is counted
    /// in ``HTTPResponse/bytesReceived`` and dropped), and the file stays at `offset` bytes. If the transfer
    /// fails part-way, the file holds whatever arrived before the failure.
    case file(path: String, offset: Int64)

    /// Memory, up to 16 MiB.
    public static let memory = HTTPResponseDestination.memory(limit: 16 << 20)
}

/// Bytes moved so far by one request, reported while it runs.
public struct HTTPProgress: Sendable, Equatable {
    /// Body bytes sent.
    public var sent: Int64
    /// Body bytes received.
    public var received: Int64

    public init(sent: Int64, received: Int64) {
        self.sent = sent
        self.received = received
    }
}

/// One HTTP request.
public struct HTTPRequest: Sendable {
    /// The method, e.g. `GET`.
    public var method: String
    /// The full URL, already percent-encoded; sent as is.
    public var url: String
    /// Header fields to send. `Content-Length` is set from the body by the transport.
    public var headers: HTTPHeaders
    /// The body to send.
    public var body: HTTPRequestBody
    /// Where the response body goes.
    public var destination: HTTPResponseDestination
    /// Called from the transport's thread as bytes move; keep it cheap.
    public var onProgress: (@Sendable (HTTPProgress) -> Void)?
    /// Called once connected, before anything is sent, with the peer's IP address as text (`169.254.10.10`,
    /// `fe80::1`): a message refuses the connection (the request fails with ``HTTPTransportError/Code/invalidRequest``
    /// and that message, never retried); `nil` lets it go on. Through a proxy the peer is the proxy.
    public var connectionCheck: (@Sendable (String) -> String?)?

    public init(
        method: String,
        url: String,
        headers: HTTPHeaders = [:],
        body: HTTPRequestBody = .empty,
        destination: HTTPResponseDestination = .memory,
        onProgress: (@Sendable (HTTPProgress) -> Void)? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.destination = destination
        self.onProgress = onProgress
    }
}
