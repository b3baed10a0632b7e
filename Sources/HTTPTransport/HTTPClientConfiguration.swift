/// Settings for an ``HTTPClient``.
public struct HTTPClientConfiguration: Sendable {
    /// Time allowed to establish a connection (TCP + TLS).
    public var connectTimeout: Duration = .seconds(10)
    /// A transfer slower than ``lowSpeedLimit`` bytes/s for this long is aborted as timed out.
    ///
    /// Counted in whole seconds (rounded up). libcurl averages the speed over the last few seconds, so a
    /// transfer that stalls after moving data is aborted up to about 5 s later than this.
    public var lowSpeedTime: Duration = .seconds(30)
    /// See ``lowSpeedTime``.
    public var lowSpeedLimit: Int = 1
    /// Upper bound on one whole request, or `nil` for none (large transfers rely on the low-speed limit).
    public var totalTimeout: Duration? = nil
    /// Requests in flight at once; further requests wait, in order. Also the most connections kept open.
    public var maxConcurrentRequests: Int = 64
    /// Verify TLS peers (always on unless a test turns it off for a loopback server).
    public var verifyTLS: Bool = true
    /// A PEM bundle of CA certificates; defaults to `AWS_CA_BUNDLE` when set.
    public var caBundlePath: String? = nil
    /// Offer HTTP/2 over TLS (falls back to HTTP/1.1 where the server does not take it).
    public var http2: Bool = true
    /// Sent as `User-Agent`.
    public var userAgent: String = "storage-cache"

    public init() {}
}
