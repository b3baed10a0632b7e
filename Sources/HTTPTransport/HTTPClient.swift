import Logging

/// An HTTP client over libcurl: pooled connections, many requests in flight, bodies streamed from and to files.
///
/// One client is meant to be shared by a whole process; it is safe to use from any task. A dedicated thread
/// drives a curl multi handle; at most ``HTTPClientConfiguration/maxConcurrentRequests`` transfers run at once
/// and the rest wait in order. Connections are kept alive and reused between requests, and HTTP/2 is offered
/// over TLS when ``HTTPClientConfiguration/http2`` is on (requests to one host are then multiplexed).
///
/// Proxies come from the environment, as libcurl reads them: `http_proxy`, `https_proxy`/`HTTPS_PROXY`,
/// `all_proxy`/`ALL_PROXY` and `no_proxy`/`NO_PROXY`. TLS peers are verified unless
/// ``HTTPClientConfiguration/verifyTLS`` is off, against ``HTTPClientConfiguration/caBundlePath``, else
/// `AWS_CA_BUNDLE`, else the system bundle. Bodies are never content-decoded (no `Accept-Encoding` is sent),
/// no `Expect: 100-continue` is sent, and redirects are not followed.
///
/// At `trace` and `debug` level the client logs method, host, path (never the query), status, bytes and
/// duration; never header values or bodies.
public final class HTTPClient: Sendable {
    /// The settings this client was created with.
    public let configuration: HTTPClientConfiguration
    private let logger: Logger
    private let loop: Result<CurlMultiLoop, HTTPTransportError>

    /// Creates a client. `curl_global_init` runs once per process, on first use.
    ///
    /// `AWS_CA_BUNDLE` is read here, once. If libcurl cannot be set up, every request fails with that error.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let settings = CurlSettings(configuration)
        do throws(HTTPTransportError) {
            loop = .success(try CurlMultiLoop(settings: settings, logger: logger))
        } catch {
            loop = .failure(error)
        }
    }

    /// Performs `request` and returns the response, whatever its status.
    ///
    /// Throws only when no HTTP response was received (connection, TLS, timeout, local file errors), or
    /// ``HTTPTransportError/Code/bodyTooLarge`` when a `.memory(limit:)` body outgrows its limit.
    /// Cancelling the calling task aborts the transfer (queued or running) and throws
    /// ``HTTPTransportError/Code/cancelled``.
    ///
    /// With a `.file(path, offset)` destination the file is opened (created with mode 0644 if missing) and
    /// truncated to `offset` before the request is sent. A response with status < 300 is written from `offset`;
    /// a response with status ≥ 300 leaves the file at `offset` bytes and its body (up to its first 1 MiB; the
    /// rest is counted in ``HTTPResponse/bytesReceived`` but dropped) is returned in ``HTTPResponse/body``.
    public func execute(_ request: HTTPRequest) async throws(HTTPTransportError) -> HTTPResponse {
        let loop = try self.loop.get()
        let transfer = TransferContext(request: request)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        return try result.get()
    }
}
