import Hashing
import Tarball

/// The cache version the GitHub Actions cache service files entries under, computed as actions/cache does
/// (`@actions/cache` `getCacheVersion`): SHA-256 (lower-case hex) of the cached paths, then the compression
/// method, then `windows-only` on Windows without cross-OS archives, then the salt `1.0`, joined with `|`.
///
/// An entry is found only under the key *and* the version it was saved with, so the same paths and compression
/// method give the same version here and in actions/cache: each side sees the other's entries for those keys.
public enum GitHubActionsCacheVersion {
    /// actions/cache's version salt (bumped there on breaking changes of the entry format).
    public static let salt = "1.0"

    /// The version for `paths` (as written in actions/cache's `path` input, one per element, unresolved) and
    /// `compressionMethod` (`zstd`, `zstd-without-long`, `gzip`, or `nil` for none).
    public static func compute(paths: [String], compressionMethod: String?, windowsOnly: Bool = false) -> String {
        var components = paths
        if let compressionMethod { components.append(compressionMethod) }
        if windowsOnly { components.append("windows-only") }
        components.append(salt)
        return Digest.sha256Hex(Array(components.joined(separator: "|").utf8))
    }

    /// actions/cache's name for an archive compression: `zstd` (what actions/cache uses where zstd ≥ 1.3.2 is
    /// installed, i.e. every hosted runner), `gzip`, or `nil` for an uncompressed tar (actions/cache has none).
    public static func compressionMethod(_ compression: TarballCompression) -> String? {
        switch compression {
        case .zstd: "zstd"
        case .gzip: "gzip"
        case .none: nil
        }
    }
}
