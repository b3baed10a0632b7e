import Logging

/// Debug-level timing of a push's phases (`push phase phase=<name> ms=<elapsed>`), so `--verbose` shows where a
/// push spends its time.
struct PhaseTimer: Sendable {
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Runs `body` and logs how long it took.
    func measure<T, E: Error>(_ phase: String, _ body: () throws(E) -> T) throws(E) -> T {
        let start = ContinuousClock.now
        defer { log(phase, since: start) }
        return try body()
    }

    /// Runs `body` and logs how long it took.
    func measure<T, E: Error>(_ phase: String, _ body: () async throws(E) -> T) async throws(E) -> T {
        let start = ContinuousClock.now
        defer { log(phase, since: start) }
        return try await body()
    }

    /// Logs `phase` as having taken the time since `start`.
    func log(_ phase: String, since start: ContinuousClock.Instant) {
        guard logger.logLevel <= .debug else { return }
        logger.debug(
            "push phase", metadata: ["phase": "\(phase)", "ms": "\(Self.milliseconds(ContinuousClock.now - start))"])
    }

    /// A duration in milliseconds with one decimal.
    static func milliseconds(_ duration: Duration) -> String {
        let value = (duration.seconds * 10_000).rounded() / 10
        return String(value)
    }
}
