import Foundation
import HTTPTransport
import Logging
import S3

/// The S3 copy behind a ``CacheCoordinator``: where it lives and how engines for it are made.
public struct S3Backup: Sendable {
    /// Bucket, prefix, identity, repository, endpoint, object options.
    public let settings: SyncSettings
    /// Makes the engine for one restore or save.
    public let makeEngine: @Sendable () -> SyncEngine

    /// A backup with engines from `makeEngine` (tests and hosts with their own client).
    public init(settings: SyncSettings, makeEngine: @escaping @Sendable () -> SyncEngine) {
        self.settings = settings
        self.makeEngine = makeEngine
    }

    /// A backup whose clients take credentials from the AWS chain over `environment` (environment variables,
    /// web identity, shared files, container and instance metadata).
    public init(settings: SyncSettings, environment: [String: String], logger: Logger) throws(InputError) {
        let endpoint = try settings.checkedEndpoint()
        let configuration = settings.clientConfiguration(endpoint: endpoint)
        self.init(settings: settings) {
            var http = HTTPClientConfiguration()
            http.maxConcurrentRequests = max(settings.concurrency, 8)
            let client = HTTPClient(configuration: http, logger: logger)
            let credentials = CredentialProviderChain(environment: environment, httpClient: client, logger: logger)
            let s3 = S3Client(configuration: configuration, credentials: credentials, http: client, logger: logger)
            return SyncEngine(client: s3, location: settings.location, options: settings.syncOptions(), logger: logger)
        }
    }

    /// `s3://bucket/<root>/`.
    public var locationDescription: String { "s3://\(settings.location.bucket)/\(settings.location.root)/" }
}
