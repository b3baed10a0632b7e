import Logging

/// An HTTP client over libcurl: pooled connections, many requests in flight, bodies streamed from and to files.
///
/// One client is meant to be shared by a whole process; it is safe to use from any task.
public final class HTTPClient: Sendable {
    /// The settings this client was created with.
    public let configuration: HTTPClientConfiguration
    private let logger: Logger

    /// Creates a client. `curl_global_init` runs once per process, on first use.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Performs `request` and returns the response, whatever its status.
    ///
    /// Throws only when no HTTP response was received (connection, TLS, timeout, local file errors).
    /// Cancelling the calling task aborts the transfer.
    public func execute(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        throw HTTPTransportError(code: .other, message: "HTTPClient.execute is not implemented yet")
    }
}
