/// A request that did not produce an HTTP response.
///
/// The message names the host and the failure, never a URL's query string, a header value or a body,
/// so it is safe to print.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public enum Code: Sendable, Equatable {
        /// DNS failure or connection refused.
        case couldNotConnect
        /// Connect timeout, or the transfer stalled below the low-speed limit.
        case timedOut
        /// TLS handshake or certificate verification failed.
        case tls
        /// The connection broke mid-transfer (reset, closed early, partial body).
        case network
        /// A local file could not be read or written.
        case localFile
        /// A memory-bound response exceeded its limit.
        case bodyTooLarge
        /// The task was cancelled.
        case cancelled
        /// A malformed URL or an unsupported option.
        case invalidRequest
        /// Anything else libcurl reported.
        case other
    }

    /// The coarse kind of failure.
    public let code: Code
    /// A message fit for a user.
    public let message: String
    /// libcurl's `CURLcode`, when it came from libcurl.
    public let curlCode: Int32?

    public init(code: Code, message: String, curlCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
    }

    /// Whether retrying the same request may succeed.
    public var isTransient: Bool {
        switch code {
        case .couldNotConnect, .timedOut, .network: true
        case .tls, .localFile, .bodyTooLarge, .cancelled, .invalidRequest, .other: false
        }
    }

    public var description: String { message }
}
