/// Where a storage tree lives in S3, per RFC-019:
/// `<prefix>/<agentIdentity>/<owner-repo>/storage/<relative path>`, with `manifest.json` and `snapshot.tar.zst`
/// beside `storage/` (outside it, so they never collide with a stored file).
public struct SyncLocation: Sendable, Equatable {
    /// The bucket name.
    public let bucket: String
    /// The key prefix, without leading or trailing `/` (default `opencode-storage`).
    public let prefix: String
    /// The agent identity.
    public let agentIdentity: AgentIdentity
    /// The repository as given (`owner/repo`).
    public let repo: String

    /// The default key prefix.
    public static let defaultPrefix = "opencode-storage"

    /// Validates and builds a location. A prefix may not be empty, start with `/`, or contain `..` or empty
    /// components; a repository must be non-empty and may not contain `..`.
    public init(bucket: String, prefix: String = defaultPrefix, agentIdentity: AgentIdentity, repo: String)
        throws(SyncLocationError)
    {
        var trimmed = Substring(prefix)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        if trimmed.isEmpty { throw SyncLocationError(input: "s3-prefix", message: "must not be empty") }
        if trimmed.hasPrefix("/") {
            throw SyncLocationError(input: "s3-prefix", message: "must not start with '/' (got \(prefix))")
        }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            throw SyncLocationError(
                input: "s3-prefix", message: "must not contain '..', '.' or empty path components (got \(prefix))")
        }
        if trimmed.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw SyncLocationError(input: "s3-prefix", message: "must not contain control characters")
        }
        let repoTrimmed = repo.trimmingSpaces()
        if repoTrimmed.isEmpty {
            throw SyncLocationError(input: "repo", message: "must not be empty (expected owner/repo)")
        }
        if repoTrimmed.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            throw SyncLocationError(input: "repo", message: "must not contain '.' or '..' components (got \(repo))")
        }
        if repoTrimmed.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw SyncLocationError(input: "repo", message: "must not contain control characters")
        }
        self.bucket = bucket
        self.prefix = String(trimmed)
        self.agentIdentity = agentIdentity
        self.repo = repoTrimmed
    }

    /// `owner/repo` → `owner-repo`, `org/nested/repo` → `org-nested-repo` (every `/` becomes `-`).
    public static func sanitize(repo: String) -> String {
        repo.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "-")
    }

    /// `<prefix>/<agentIdentity>/<owner-repo>`: the root of everything this tree owns.
    public var root: String { "\(prefix)/\(agentIdentity.rawValue)/\(Self.sanitize(repo: repo))" }

    /// `<root>/storage/`: the prefix of the per-file objects.
    public var storagePrefix: String { root + "/storage/" }

    /// `<root>/manifest.json`.
    public var manifestKey: String { root + "/manifest.json" }

    /// `<root>/snapshot.tar.zst`.
    public var snapshotKey: String { root + "/snapshot.tar.zst" }

    /// `<root>/packs/`: the pack objects (one per push at most, never rewritten).
    public var packsPrefix: String { root + "/packs/" }

    /// A new pack key for a push of `generation`: `<root>/packs/<generation>-<random>.pack`.
    public func newPackKey(generation: Int) -> String {
        packsPrefix + "\(generation)-" + Self.randomTag() + ".pack"
    }

    /// A new snapshot key for a push of `generation`: `<root>/snapshot-g<generation>-<random>.tar.zst`.
    public func newSnapshotKey(generation: Int) -> String {
        root + "/snapshot-g\(generation)-" + Self.randomTag() + ".tar.zst"
    }

    /// `<root>/manifests/`: copies of the last committed manifests (garbage collection reads them).
    public var historyPrefix: String { root + "/manifests/" }

    /// `<root>/manifests/<generation>.json`.
    public func historyKey(generation: Int) -> String { historyPrefix + "\(generation).json" }

    /// The generation in a pack, snapshot or history key (`packs/<g>-…`, `snapshot-g<g>-…`, `manifests/<g>.json`),
    /// or `nil` when it carries none.
    public static func generationLabel(key: String) -> Int? {
        let name = key.split(separator: "/").last.map(String.init) ?? key
        var rest = Substring(name)
        if rest.hasPrefix("snapshot-g") { rest = rest.dropFirst("snapshot-g".count) }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return nil }
        let after = rest.dropFirst(digits.count)
        guard after.hasPrefix("-") || after == ".json" else { return nil }
        return Int(digits)
    }

    static func randomTag() -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<16).map { _ in digits[Int.random(in: 0..<16)] })
    }

    /// `<root>/conflicts/`: manifests rejected by a conflicting push, kept for recovery.
    public var conflictsPrefix: String { root + "/conflicts/" }

    /// The object key of the file at `relativePath` (which uses `/` and has no leading `/`).
    public func key(forRelativePath relativePath: String) -> String { storagePrefix + relativePath }

    /// The relative path of an object key under ``storagePrefix``, or `nil` for a key outside it.
    public func relativePath(forKey key: String) -> String? {
        guard key.hasPrefix(storagePrefix) else { return nil }
        let rest = String(key.dropFirst(storagePrefix.count))
        return rest.isEmpty ? nil : rest
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
