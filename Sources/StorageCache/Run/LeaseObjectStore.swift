/// The conditional object operations a ``HostLease`` needs: one object, created only when absent, replaced only
/// over a known ETag. ``S3LeaseObjectStore`` is the real one; tests use a fake.
public protocol LeaseObjectStore: Sendable {
    /// Where the lease lives, for messages (`s3://bucket/key`).
    var location: String { get }

    /// The object's bytes and ETag, `nil` when there is none.
    func read() async throws(LeaseStoreError) -> LeaseObject?

    /// Writes `bytes` only if no object exists (`If-None-Match: *`); the new ETag, or `nil` when one exists.
    func create(_ bytes: [UInt8]) async throws(LeaseStoreError) -> String?

    /// Writes `bytes` only over the object with ETag `etag` (`If-Match`).
    func replace(_ bytes: [UInt8], ifMatch etag: String) async throws(LeaseStoreError) -> LeaseWrite

    /// Deletes the object only if its ETag is `etag`. `false` when the store cannot delete conditionally (nothing
    /// was deleted then); throws when the object changed or the request failed.
    func delete(ifMatch etag: String) async throws(LeaseStoreError) -> Bool
}

/// A lease object as read.
public struct LeaseObject: Sendable, Equatable {
    /// Its content.
    public var bytes: [UInt8]
    /// Its ETag, with quotes.
    public var etag: String

    public init(bytes: [UInt8], etag: String) {
        self.bytes = bytes
        self.etag = etag
    }
}

/// The outcome of a conditional replace.
public enum LeaseWrite: Sendable, Equatable {
    /// Written; the new ETag.
    case written(String)
    /// The object's ETag was not the one given (someone else wrote it).
    case conflict
    /// There is no object any more.
    case missing
}

/// A lease request that failed (network, access, server). The message names the object, never a secret.
public struct LeaseStoreError: Error, Sendable, CustomStringConvertible {
    /// A message fit for a user.
    public var message: String
    /// Whether the failure was a denied permission.
    public var accessDenied: Bool

    public init(_ message: String, accessDenied: Bool = false) {
        self.message = message
        self.accessDenied = accessDenied
    }

    public var description: String { message }
}
