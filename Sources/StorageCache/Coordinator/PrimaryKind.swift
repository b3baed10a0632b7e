/// Which primary tarball cache a ``CacheCoordinator`` puts in front of S3 (input `primary`).
public enum PrimaryKind: String, Sendable, Codable, CaseIterable {
    /// The best store for the host: the GitHub Actions cache on a runner whose job can reach the cache service v2
    /// (``GitHubActionsRuntime/isAvailable``), else the local cache directory.
    case auto
    /// ``LocalTarballStore`` in the cache directory.
    case local
    /// ``GitHubActionsCacheStore``, the GitHub Actions cache service v2. Needs `ACTIONS_RESULTS_URL` and
    /// `ACTIONS_RUNTIME_TOKEN` (an input error, exit 2, without them).
    case github
    /// No primary cache: restore from S3 only, save to S3 only.
    case none

    /// The store kind this stands for on a host with `environment`: `auto` is `github` when
    /// ``GitHubActionsRuntime/isAvailable``, else `local`; the others are themselves.
    public func resolved(environment: [String: String]) -> PrimaryKind {
        switch self {
        case .auto: GitHubActionsRuntime(environment: environment).isAvailable ? .github : .local
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
