import HTTPTransport

/// AWS "standard" retry mode: a few attempts with capped exponential backoff and full jitter, retrying only
/// what may succeed next time — 5xx (500, 502, 503, 504), 429, throttling and timeout error codes, and
/// transient network failures. Other 4xx answers are never retried.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, including the first (AWS default: 3).
    public var maxAttempts: Int
    /// The backoff base: attempt *n* (1-based) waits a random time in `0 ..< min(maxBackoff, base × 2^(n-1))`.
    public var baseDelay: Duration
    /// The cap on one wait (AWS: 20 s).
    public var maxBackoff: Duration

    public init(maxAttempts: Int = 3, baseDelay: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(20)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
    }

    /// The AWS standard mode defaults.
    public static let standard = RetryPolicy()
    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// HTTP statuses worth retrying.
    public static let retryableStatuses: Set<Int> = [500, 502, 503, 504, 429]
    /// S3 error codes worth retrying whatever the status.
    public static let retryableErrorCodes: Set<String> = [
        "SlowDown", "RequestTimeout", "RequestTimeoutException", "Throttling", "ThrottlingException",
        "ThrottledException", "RequestThrottled", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "PriorRequestNotComplete", "EC2ThrottledException",
        "InternalError", "ServiceUnavailable",
    ]

    /// Whether an HTTP answer with `status` and S3 error code `s3Code` should be retried.
    public func shouldRetry(status: Int, s3Code: String?) -> Bool {
        if let s3Code, Self.retryableErrorCodes.contains(s3Code) { return true }
        return Self.retryableStatuses.contains(status)
    }

    /// Whether a transport failure should be retried.
    public func shouldRetry(_ error: HTTPTransportError) -> Bool {
        error.isTransient
    }

    /// Whether an S3 error should be retried (by its transport error, or its status and code).
    public func shouldRetry(_ error: S3Error) -> Bool {
        if let transport = error.transportError { return shouldRetry(transport) }
        guard let status = error.status else { return false }
        return shouldRetry(status: status, s3Code: error.s3Code)
    }

    /// The upper bound of the wait after failed attempt `attempt` (1-based).
    public func backoffCeiling(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = baseDelay * (1 << exponent)
        return min(ceiling, maxBackoff)
    }

    /// A random wait (full jitter) after failed attempt `attempt` (1-based), in `0 ... backoffCeiling`.
    public func backoff(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = backoffCeiling(afterAttempt: attempt)
        let nanos = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        guard nanos > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanos, using: &generator))
    }

    /// A random wait after failed attempt `attempt`, from the system generator.
    public func backoff(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return backoff(afterAttempt: attempt, using: &generator)
    }
}
