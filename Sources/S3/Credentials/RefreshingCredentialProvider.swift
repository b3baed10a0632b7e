import Foundation

/// Caches another provider's credentials and fetches new ones shortly before they expire.
///
/// Credentials without an expiry are kept for good. Temporary ones are refreshed once they are within
/// ``refreshWindow`` (5 minutes by default) of expiring. One fetch runs at a time: concurrent callers wait for the
/// same fetch (single flight). When a refresh fails while the cached credentials are still valid, those are
/// returned and the refresh is tried again on a later call, no sooner than ``retryInterval``.
public actor RefreshingCredentialProvider: CredentialProvider {
    /// The provider fetched from.
    public nonisolated let provider: any CredentialProvider
    /// How long before expiry credentials are refreshed.
    public nonisolated let refreshWindow: TimeInterval
    /// The least time between two fetches while cached credentials are still valid.
    public nonisolated let retryInterval: TimeInterval
    private let now: @Sendable () -> Date
    private var cached: AWSCredentials?
    private var inFlight: Task<AWSCredentials, any Error>?
    private var lastAttempt: Date?

    /// - Parameters:
    ///   - provider: Where credentials come from; called only when a refresh is due.
    ///   - refreshWindow: Refresh this long before expiry.
    ///   - retryInterval: After a fetch, wait this long before fetching again while cached credentials are valid.
    ///   - now: The clock, for tests.
    public init(
        _ provider: any CredentialProvider, refreshWindow: Duration = .seconds(300),
        retryInterval: Duration = .seconds(10), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.provider = provider
        self.refreshWindow = refreshWindow.timeInterval
        self.retryInterval = retryInterval.timeInterval
        self.now = now
    }

    public func credentials() async throws(CredentialError) -> AWSCredentials {
        let current = now()
        if let cached, !needsRefresh(cached, at: current) { return cached }
        if let cached, !isExpired(cached, at: current), let lastAttempt,
            current.timeIntervalSince(lastAttempt) < retryInterval, inFlight == nil
        {
            return cached
        }
        let task: Task<AWSCredentials, any Error>
        if let inFlight {
            task = inFlight
        } else {
            let provider = self.provider
            task = Task { try await provider.credentials() }
            inFlight = task
            lastAttempt = current
        }
        do {
            let fresh = try await task.value
            if inFlight == task {
                inFlight = nil
                cached = fresh
            }
            return fresh
        } catch {
            if inFlight == task { inFlight = nil }
            if let cached, !isExpired(cached, at: now()) { return cached }
            throw (error as? CredentialError) ?? CredentialError(code: .fetchFailed, source: "", message: "\(error)")
        }
    }

    /// Drops the cached credentials, so the next call fetches.
    public func invalidate() {
        cached = nil
        lastAttempt = nil
    }

    private func needsRefresh(_ credentials: AWSCredentials, at date: Date) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSince(date) <= refreshWindow
    }

    private func isExpired(_ credentials: AWSCredentials, at date: Date) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration <= date
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
