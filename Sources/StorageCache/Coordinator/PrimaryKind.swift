/// Which primary tarball cache a ``CacheCoordinator`` puts in front of S3 (input `primary`).
public enum PrimaryKind: String, Sendable, Codable, CaseIterable {
    /// The best store for the host. Today that is the local cache directory everywhere; once a GitHub Actions
    /// cache store exists, `auto` picks it on a runner (`ACTIONS_RUNTIME_TOKEN` and `ACTIONS_RESULTS_URL` set).
    case auto
    /// ``LocalTarballStore`` in the cache directory.
    case local
    /// The GitHub Actions cache service. Not implemented yet: choosing it is an input error.
    case github
    /// No primary cache: restore from S3 only, save to S3 only.
    case none

    /// The store kind `auto` stands for on this host (the seam where a GitHub Actions cache store will go).
    public func resolved(environment: [String: String]) -> PrimaryKind {
        switch self {
        case .auto: .local
        default: self
        }
    }
}

/// What an S3 failure during a save does (input `s3-failure-mode`).
public enum S3FailureMode: String, Sendable, Codable, CaseIterable {
    /// A warning and a pending record; the save succeeds (RFC-019's default).
    case warn
    /// The save fails with the S3 error's exit status (a pending record is still written).
    case fail
}
