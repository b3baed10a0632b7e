/// A failure of `storage-cache run` itself (not of its child): the directory is locked, the restore or the start
/// of the child failed. Messages are fit for a user and never hold a secret.
public struct RunError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Equatable {
        /// Another `run` holds the storage directory's lock.
        case locked
        /// The lock file could not be opened or locked.
        case lockFailed
        /// The state could not be restored, so the child was not started.
        case restoreFailed
        /// The child could not be started (not found, not executable).
        case spawnFailed
        /// Another host holds the host lease (``HostLease``) and did not give it up within `lease-wait`.
        case leaseHeld
        /// The host lease was lost while the command ran: the command was stopped and nothing saved after that.
        case leaseLost
        /// The host lease could not be read or written.
        case leaseFailed
        /// Access to the host lease object was denied.
        case leaseDenied
    }

    /// The kind of failure.
    public let code: Code
    /// A message fit for a user.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The process exit status for this failure: 127 when the command cannot be started (as a shell does), 75
    /// (`EX_TEMPFAIL`) when the directory is locked or another host holds the lease, 76 when the lease was lost
    /// while the command ran, 4 when the lease object is denied, else 1.
    public var exitStatus: Int32 {
        switch code {
        case .spawnFailed: 127
        case .locked, .leaseHeld: ExitStatus.busy.rawValue
        case .leaseLost: ExitStatus.leaseLost.rawValue
        case .leaseDenied: ExitStatus.accessDenied.rawValue
        case .lockFailed, .restoreFailed, .leaseFailed: 1
        }
    }
}
