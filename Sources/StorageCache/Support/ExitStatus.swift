/// The process exit statuses of the `storage-cache` command, as documented in the README.
public enum ExitStatus: Int32, Sendable, Codable, CaseIterable {
    /// The command did what was asked.
    case success = 0
    /// An operation failed: I/O, network, a service error.
    case failed = 1
    /// A bad flag or input value, or a refused endpoint (`insecure-endpoint`, `link-local-endpoint`); for `doctor`
    /// also a bucket in another region.
    case invalidInput = 2
    /// Something asked for was not there: a cache miss with `--fail-on-cache-miss`, a missing archive.
    case notFound = 3
    /// Access denied: permissions, credentials missing or refused, a bucket of another account (`doctor`).
    case accessDenied = 4
    /// Data integrity: a corrupted or hostile archive, a checksum mismatch.
    case dataIntegrity = 5
    /// `run`: busy elsewhere: the storage directory is locked by another `run`, or another host holds the lease
    /// (`EX_TEMPFAIL`: try again later).
    case busy = 75
    /// `run`: the host lease was lost while the command ran; the command was stopped and nothing saved after that.
    case leaseLost = 76
}
