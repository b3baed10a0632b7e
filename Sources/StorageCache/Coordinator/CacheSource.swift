/// Where a ``CacheCoordinator`` restore found the tree (output `cache-source`).
public enum CacheSource: String, Sendable, Codable, Equatable {
    /// The primary tarball cache.
    case primary
    /// The S3 copy.
    case s3
    /// Nowhere: the storage directory is as it was (created empty when it did not exist).
    case none
}
