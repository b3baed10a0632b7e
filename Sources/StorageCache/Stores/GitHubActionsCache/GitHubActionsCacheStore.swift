import Foundation
import HTTPTransport
import Logging
import S3
import Tarball

/// A ``TarballStore`` in the GitHub Actions cache service (v2: Twirp JSON at `$ACTIONS_RESULTS_URL`, archives in
/// Azure blob storage behind signed URLs), with actions/cache semantics: the exact key first, then each restore
/// key as a prefix, the newest entry winning (the service decides the match); entries are immutable.
///
/// - Save: the tree is archived into a temporary file, checked against ``Configuration/maxEntryBytes`` (the
///   service's 10 GiB), then `CreateCacheEntry`, an upload from the file (one Put Blob up to
///   ``Configuration/blockSize``, else parallel Put Block + Put Block List) and `FinalizeCacheEntryUpload`.
///   An existing key is a notice (`exists`); a read-only token (fork pull requests) is an `accessDenied` error
///   and a warning, never a silent success.
/// - Restore: `GetCacheEntryDownloadURL`, then parallel ranged GETs into part files in a temporary directory
///   (a stalled or cut transfer is resumed from the bytes already there; an expired URL is asked for again),
///   then ``TarballReader`` extracts with the SHA-256 recorded in the blob's metadata at save time, when there
///   is one. A mismatch is `corrupted` and the destination is untouched; the entry cannot be deleted with a
///   runtime token, so it stays in the service until it is evicted.
/// - The version is ``GitHubActionsCacheVersion`` of ``Configuration/versionPaths`` and the compression.
///
/// The runtime token and the signed URLs' query strings are never logged or put in an error.
public struct GitHubActionsCacheStore: TarballStore {
    public let name = "github-actions"

    /// Where the service is and how to talk to it.
    public struct Configuration: Sendable {
        /// `ACTIONS_RESULTS_URL`.
        public var resultsURL: String
        /// `ACTIONS_RUNTIME_TOKEN`.
        public var runtimeToken: String
        /// The paths fed into the cache version, as actions/cache's `path` input would list them.
        public var versionPaths: [String]
        /// The compression used to compute the version for lookups and restores (saves use their own).
        public var compression: TarballCompression
        /// Largest archive accepted (the service's per-entry limit, 10 GiB).
        public var maxEntryBytes: Int64
        /// Block size of uploads and part size of downloads; archives up to this size go in one Put Blob.
        public var blockSize: Int64
        /// Blocks or parts in flight at once.
        public var concurrency: Int
        /// Attempts and backoff for the service and the blob storage (429, 5xx, transport failures).
        public var retry: RetryPolicy
        /// The longest `Retry-After` honoured.
        public var maxRetryAfter: Duration
        /// A transfer that moves no bytes for this long is aborted and resumed with a ranged request.
        public var stallTimeout: Duration
        /// Where archives are written and downloaded (default `$RUNNER_TEMP`, else the system's).
        public var temporaryDirectory: String
        /// What the runner lets this job do (`ACTIONS_CACHE_MODE`): a restore or lookup that may not read is a miss
        /// without a request, a save that may not write is `skipped` without a request (as `@actions/cache` 6.2).
        public var access: ActionsCacheAccess

        public init(
            resultsURL: String, runtimeToken: String, versionPaths: [String] = [GitHubActionsCacheStore.defaultPath],
            compression: TarballCompression = .zstd(), maxEntryBytes: Int64 = 10 << 30, blockSize: Int64 = 32 << 20,
            concurrency: Int = 4, retry: RetryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: .seconds(1)),
            maxRetryAfter: Duration = .seconds(60), stallTimeout: Duration = .seconds(60),
            temporaryDirectory: String = NSTemporaryDirectory(), access: ActionsCacheAccess = .unrestricted
        ) {
            self.resultsURL = resultsURL
            self.runtimeToken = runtimeToken
            self.versionPaths = versionPaths
            self.compression = compression
            self.maxEntryBytes = maxEntryBytes
            self.blockSize = max(1, blockSize)
            self.concurrency = max(1, concurrency)
            self.retry = retry
            self.maxRetryAfter = maxRetryAfter
            self.stallTimeout = stallTimeout
            self.temporaryDirectory = temporaryDirectory
            self.access = access
        }
    }

    /// The default ``Configuration/versionPaths`` element.
    public static let defaultPath = "storage-cache"

    public let configuration: Configuration
    let logger: Logger
    let service: CacheServiceClient
    let blobs: BlobTransfer
    /// The last lookup's match, reused by the restore that follows it.
    let memo = LookupMemo()

    public init(configuration: Configuration, logger: Logger = Logger(label: "storage-cache.github-actions")) {
        self.configuration = configuration
        self.logger = logger
        var http = HTTPClientConfiguration()
        http.lowSpeedTime = configuration.stallTimeout
        http.maxConcurrentRequests = max(8, configuration.concurrency * 2)
        let client = HTTPClient(configuration: http, logger: logger)
        service = CacheServiceClient(
            http: client, baseURL: configuration.resultsURL, token: configuration.runtimeToken,
            retry: configuration.retry, maxRetryAfter: configuration.maxRetryAfter, logger: logger)
        blobs = BlobTransfer(
            http: client, retry: configuration.retry, maxRetryAfter: configuration.maxRetryAfter,
            blockSize: configuration.blockSize, concurrency: configuration.concurrency, logger: logger)
    }

    /// A store for the cache service of the running job, or `nil` outside GitHub Actions (when
    /// `ACTIONS_RESULTS_URL` or `ACTIONS_RUNTIME_TOKEN` is missing or empty). `ACTIONS_CACHE_MODE` sets
    /// ``Configuration/access``; `RUNNER_TEMP` the temporary directory.
    public static func fromEnvironment(
        _ env: [String: String], versionPaths: [String] = [defaultPath],
        logger: Logger = Logger(label: "storage-cache.github-actions")
    ) -> GitHubActionsCacheStore? {
        guard let url = env["ACTIONS_RESULTS_URL"], !url.isEmpty, let token = env["ACTIONS_RUNTIME_TOKEN"],
            !token.isEmpty
        else { return nil }
        var configuration = Configuration(
            resultsURL: url, runtimeToken: token, versionPaths: versionPaths,
            access: ActionsCacheAccess(environment: env))
        if let temp = env["RUNNER_TEMP"], !temp.isEmpty { configuration.temporaryDirectory = temp }
        return GitHubActionsCacheStore(configuration: configuration, logger: logger)
    }

    /// The version entries are looked up and restored under.
    public var version: String {
        version(for: configuration.compression)
    }

    func version(for compression: TarballCompression) -> String {
        GitHubActionsCacheVersion.compute(
            paths: configuration.versionPaths,
            compressionMethod: GitHubActionsCacheVersion.compressionMethod(compression))
    }

    /// A matched entry: its key and a signed download URL (a secret).
    struct Match: Sendable {
        var key: String
        var url: String
    }

    /// Asks the service which entry `key` / `restoreKeys` match under `version`.
    func resolve(key: String, restoreKeys: [String], version: String) async throws(StoreError) -> Match? {
        let body: [String: any Sendable] = ["key": key, "restore_keys": restoreKeys, "version": version]
        switch try await service.call("GetCacheEntryDownloadURL", body) {
        case .ok(let response):
            guard response.bool("ok"), let url = response.string("signed_download_url", "signedDownloadUrl"),
                !url.isEmpty
            else { return nil }
            let matched = response.string("matched_key", "matchedKey").flatMap { $0.isEmpty ? nil : $0 } ?? key
            return Match(key: matched, url: url)
        case .failed(let failure):
            if failure.status == 404 { return nil }
            throw Self.serviceError("look up '\(key)'", failure)
        }
    }

    /// Why a restore or lookup makes no request (`ACTIONS_CACHE_MODE` does not allow reading), else nil.
    var readSkipped: String? {
        configuration.access.allowsRead
            ? nil
            : "GitHub Actions cache restore skipped: ACTIONS_CACHE_MODE is \(configuration.access.mode)"
    }

    /// Why a save makes no request (`ACTIONS_CACHE_MODE` does not allow writing), else nil.
    var writeSkipped: String? {
        configuration.access.allowsWrite
            ? nil
            : "GitHub Actions cache save skipped: ACTIONS_CACHE_MODE is \(configuration.access.mode)"
    }

    static func serviceError(_ what: String, _ failure: CacheServiceClient.Failure) -> StoreError {
        let code: StoreError.Code = failure.status == 401 || failure.status == 403 ? .accessDenied : .io
        return StoreError(code: code, message: "GitHub Actions cache: cannot \(what): \(failure.summary)")
    }

    /// actions/cache's key rules on top of ``CacheKey/validate(_:name:)``: no commas in any key (the service
    /// takes them as separators) and at most 10 keys with the restore keys.
    static func validate(key: String, restoreKeys: [String]) throws(StoreError) {
        try CacheKey.validate(key)
        guard restoreKeys.count + 1 <= 10 else {
            throw StoreError(
                code: .invalidInput,
                message:
                    "the GitHub Actions cache takes at most 10 keys (key plus restore keys); got \(restoreKeys.count + 1)"
            )
        }
        for candidate in [key] + restoreKeys {
            try CacheKey.validate(candidate, name: candidate == key ? "key" : "restore key")
            if candidate.contains(",") {
                throw StoreError(
                    code: .invalidInput,
                    message: "cache key '\(candidate)' cannot contain commas (GitHub Actions cache)")
            }
        }
    }

    public func lookup(key: String, restoreKeys: [String]) async throws(StoreError) -> LookupResult {
        try Self.validate(key: key, restoreKeys: restoreKeys)
        let stopwatch = Stopwatch()
        if let skipped = readSkipped {
            return LookupResult(outcome: .miss, key: key, duration: stopwatch.seconds, message: skipped)
        }
        guard let match = try await resolve(key: key, restoreKeys: restoreKeys, version: version) else {
            return LookupResult(outcome: .miss, key: key, duration: stopwatch.seconds)
        }
        let (current, info) = try await probe(match, key: key, restoreKeys: restoreKeys)
        memo.remember(key: key, restoreKeys: restoreKeys, version: version, match: current, info: info)
        var found = LookupResult(
            outcome: .hit, key: key, matchedKey: current.key, exactMatch: current.key == key, bytes: info.size,
            duration: stopwatch.seconds)
        found.metadata = info.metadata.isEmpty ? nil : info.metadata
        return found
    }

    /// Probes `match`'s blob; a refused (expired) URL is asked for once more.
    func probe(
        _ match: Match, key: String, restoreKeys: [String]
    ) async throws(StoreError) -> (Match, BlobTransfer.BlobInfo) {
        var match = match
        attempts: for attempt in 1...2 {
            do throws(BlobTransfer.BlobError) {
                return (match, try await blobs.probe(match.url))
            } catch {
                guard case .refused = error else {
                    if case .store(let error) = error { throw error }
                    break attempts
                }
                guard attempt == 1, let fresh = try await resolve(key: key, restoreKeys: restoreKeys, version: version)
                else { break attempts }
                logger.info("the signed download URL for '\(match.key)' was refused; asked for a new one")
                match = fresh
            }
        }
        throw StoreError(
            code: .accessDenied,
            message: "GitHub Actions cache: the blob storage refused the signed URL for '\(match.key)' (expired?)")
    }
}
