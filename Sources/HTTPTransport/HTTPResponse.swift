/// The answer to one ``HTTPRequest``.
public struct HTTPResponse: Sendable {
    /// The HTTP status code of the final response.
    public var status: Int
    /// The response's header fields (of the final response, after any `100 Continue`).
    public var headers: HTTPHeaders
    /// The body when it went to memory (or, up to its first 1 MiB, when the status was ≥ 300 for a file
    /// destination); otherwise empty.
    public var body: [UInt8]
    /// Body bytes received, wherever they went.
    public var bytesReceived: Int64

    public init(status: Int, headers: HTTPHeaders, body: [UInt8], bytesReceived: Int64) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bytesReceived = bytesReceived
    }
}
