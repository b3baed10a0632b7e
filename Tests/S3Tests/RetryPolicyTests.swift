import HTTPTransport
import Testing

@testable import S3

@Suite struct RetryPolicyTests {
    @Test func standardModeDefaults() {
        let policy = RetryPolicy.standard
        #expect(policy.maxAttempts == 3)
        #expect(policy.baseDelay == .milliseconds(100))
        #expect(policy.maxBackoff == .seconds(20))
    }

    @Test(arguments: [500, 502, 503, 504, 429])
    func retriesServerErrorsAndThrottling(status: Int) {
        #expect(RetryPolicy.standard.shouldRetry(status: status, s3Code: nil))
    }

    @Test(arguments: [400, 401, 403, 404, 405, 409, 412, 416, 501])
    func neverRetriesOtherStatuses(status: Int) {
        #expect(!RetryPolicy.standard.shouldRetry(status: status, s3Code: nil))
        #expect(!RetryPolicy.standard.shouldRetry(status: status, s3Code: "AccessDenied"))
    }

    @Test func retriesThrottlingAndTimeoutCodesWhateverTheStatus() {
        #expect(RetryPolicy.standard.shouldRetry(status: 400, s3Code: "RequestTimeout"))
        #expect(RetryPolicy.standard.shouldRetry(status: 503, s3Code: "SlowDown"))
        #expect(RetryPolicy.standard.shouldRetry(status: 200, s3Code: "InternalError"))
        #expect(!RetryPolicy.standard.shouldRetry(status: 403, s3Code: "SignatureDoesNotMatch"))
    }

    @Test func retriesOnlyTransientTransportErrors() {
        let policy = RetryPolicy.standard
        for code: HTTPTransportError.Code in [.couldNotConnect, .timedOut, .network] {
            #expect(policy.shouldRetry(HTTPTransportError(code: code, message: "x")))
            #expect(
                policy.shouldRetry(
                    S3Error(code: .network, message: "x", transportError: .init(code: code, message: "x"))))
        }
        for code: HTTPTransportError.Code in [.tls, .localFile, .bodyTooLarge, .cancelled, .invalidRequest, .other] {
            #expect(!policy.shouldRetry(HTTPTransportError(code: code, message: "x")))
        }
        #expect(!policy.shouldRetry(S3Error.invalidInput("bad bucket")))
    }

    @Test func backoffCeilingGrowsExponentiallyAndIsCapped() {
        let policy = RetryPolicy(maxAttempts: 20)
        #expect(policy.backoffCeiling(afterAttempt: 1) == .milliseconds(100))
        #expect(policy.backoffCeiling(afterAttempt: 2) == .milliseconds(200))
        #expect(policy.backoffCeiling(afterAttempt: 3) == .milliseconds(400))
        #expect(policy.backoffCeiling(afterAttempt: 9) == .seconds(20))
        #expect(policy.backoffCeiling(afterAttempt: 100) == .seconds(20))
    }

    @Test func fullJitterStaysWithinBounds() {
        var generator = RetryTestGenerator(seed: 42)
        let policy = RetryPolicy(maxAttempts: 10)
        var sawSmall = false
        var sawLarge = false
        for attempt in 1...12 {
            let ceiling = policy.backoffCeiling(afterAttempt: attempt)
            for _ in 0..<200 {
                let delay = policy.backoff(afterAttempt: attempt, using: &generator)
                #expect(delay >= .zero && delay <= ceiling)
                if delay < ceiling / 4 { sawSmall = true }
                if delay > ceiling * 3 / 4 { sawLarge = true }
            }
        }
        #expect(sawSmall && sawLarge, "full jitter spreads over the whole range")
    }

    @Test func policyAlwaysAllowsOneAttempt() {
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
        #expect(RetryPolicy.none.maxAttempts == 1)
    }
}

/// SplitMix64, for reproducible jitter in tests.
struct RetryTestGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
