/// A ``StateSynchronizer`` that saves only while its ``HostLease`` is held: every save renews the lease first
/// (and the push's ``ManifestCommitGuard`` renews it again right before the manifest commit), and a host that
/// lost the lease never saves again. Restores and change checks pass through.
public final class LeasedSynchronizer: StateSynchronizer {
    /// What restores and saves.
    public let inner: any StateSynchronizer
    /// The lease every save needs.
    public let lease: HostLease

    public init(inner: any StateSynchronizer, lease: HostLease) {
        self.inner = inner
        self.lease = lease
    }

    public func restore() async throws -> RunRestoreReport { try await inner.restore() }

    public func save(final: Bool) async throws -> RunSaveReport {
        switch await lease.renew() {
        case .renewed: break
        case .lost(let reason):
            throw RunError(.leaseLost, "not saving: this host lost the host lease \(lease.location) (\(reason))")
        case .failed(let message):
            throw RunError(.leaseFailed, "not saving: the host lease could not be confirmed (\(message))")
        }
        return try await inner.save(final: final)
    }

    public func hasChanges() async -> Bool { await inner.hasChanges() }
}
