import Foundation

/// Whether this process can use the GitHub Actions cache service v2, decided from the job's environment.
///
/// `@actions/cache` (actions/toolkit `packages/cache`, `internal/config.ts`) uses the v2 service when the server is
/// not GitHub Enterprise Server (`GITHUB_SERVER_URL`'s host is `github.com`, `*.ghe.com` or `*.localhost`) and
/// `ACTIONS_CACHE_SERVICE_V2` is set, at `ACTIONS_RESULTS_URL`; otherwise the legacy v1 service at
/// `ACTIONS_CACHE_URL`. storage-cache speaks only v2, and the v1 service is retired on github.com, so it needs
/// `ACTIONS_RESULTS_URL` and `ACTIONS_RUNTIME_TOKEN` and a server that is not GHES; it does not require
/// `ACTIONS_CACHE_SERVICE_V2` (runners of github.com set it, and there is no v1 service left to fall back on).
public struct GitHubActionsRuntime: Sendable, Equatable {
    /// The variables the v2 service needs that are missing or empty, in order.
    public let missing: [String]
    /// Whether `GITHUB_SERVER_URL` names a GitHub Enterprise Server (whose cache service is v1 only).
    public let isEnterpriseServer: Bool

    public init(environment: [String: String]) {
        missing = ["ACTIONS_RESULTS_URL", "ACTIONS_RUNTIME_TOKEN"].filter {
            (environment[$0] ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        }
        isEnterpriseServer = Self.isEnterpriseServer(environment)
    }

    /// Whether the GitHub Actions cache service v2 can be used.
    public var isAvailable: Bool { missing.isEmpty && !isEnterpriseServer }

    /// Why it cannot be used, for `primary: github` (nil when it can).
    public var unavailableReason: String? {
        if !missing.isEmpty {
            return
                "needs \(missing.joined(separator: " and ")) (set for JavaScript actions on a GitHub Actions runner; missing here)"
        }
        if isEnterpriseServer {
            return
                "is not available on GitHub Enterprise Server (its cache service is v1, which storage-cache does not speak)"
        }
        return nil
    }

    /// `@actions/cache`'s `isGhes()`: Forgejo and Gitea runners (`FORGEJO_ACTIONS`, `GITEA_ACTIONS`) are not,
    /// `ACTIONS_VENDOR` `github` / `ghes` decides, else any server host but `github.com`, `*.ghe.com` and
    /// `*.localhost` (`GITHUB_SERVER_URL`, default `https://github.com`) is.
    static func isEnterpriseServer(_ environment: [String: String]) -> Bool {
        if !(environment["FORGEJO_ACTIONS"] ?? "").isEmpty || !(environment["GITEA_ACTIONS"] ?? "").isEmpty {
            return false
        }
        switch (environment["ACTIONS_VENDOR"] ?? "").trimmingCharacters(in: .whitespaces).lowercased() {
        case "github": return false
        case "ghes": return true
        default: break
        }
        let text = (environment["GITHUB_SERVER_URL"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, let host = URLComponents(string: text)?.host?.uppercased() else { return false }
        return host != "GITHUB.COM" && !host.hasSuffix(".GHE.COM") && !host.hasSuffix(".LOCALHOST")
    }
}
