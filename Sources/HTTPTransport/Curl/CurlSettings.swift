#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// ``HTTPClientConfiguration`` resolved once into the values curl's options take.
struct CurlSettings: Sendable {
    var connectTimeoutMilliseconds: Int
    var lowSpeedLimit: Int
    var lowSpeedTimeSeconds: Int
    var totalTimeoutMilliseconds: Int?
    var maxConcurrentRequests: Int
    var verifyTLS: Bool
    /// `caBundlePath`, else `AWS_CA_BUNDLE` when set and non-empty, else curl's default bundle.
    var caBundlePath: String?
    var http2: Bool
    var userAgent: String

    init(_ configuration: HTTPClientConfiguration, environment: (String) -> String? = Self.environment) {
        connectTimeoutMilliseconds = max(1, Self.milliseconds(configuration.connectTimeout))
        lowSpeedLimit = max(0, configuration.lowSpeedLimit)
        // curl counts the low-speed time in whole seconds; round up so a short time still applies.
        lowSpeedTimeSeconds = max(1, (Self.milliseconds(configuration.lowSpeedTime) + 999) / 1000)
        totalTimeoutMilliseconds = configuration.totalTimeout.map { max(1, Self.milliseconds($0)) }
        maxConcurrentRequests = max(1, configuration.maxConcurrentRequests)
        verifyTLS = configuration.verifyTLS
        caBundlePath = configuration.caBundlePath ?? environment("AWS_CA_BUNDLE").flatMap { $0.isEmpty ? nil : $0 }
        http2 = configuration.http2
        userAgent = configuration.userAgent
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow, seconds >= 0 else { return seconds < 0 ? 0 : Int.max }
        return Int(clamping: whole + attoseconds / 1_000_000_000_000_000)
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
