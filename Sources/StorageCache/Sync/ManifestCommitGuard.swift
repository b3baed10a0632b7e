/// A check a ``SyncEngine`` push runs immediately before each conditional manifest commit (``SyncOptions/commitGuard``).
///
/// Throwing stops the push before the manifest changes: a host that lost its lease (``HostLease``) never commits.
public protocol ManifestCommitGuard: Sendable {
    /// Throws when this push may not commit.
    func checkBeforeCommit() async throws(SyncError)
}
