import S3

/// A ``LeaseObjectStore`` over one S3 object: `<root>/lease.json` of a ``SyncLocation``.
///
/// Uses S3's conditional writes (`If-None-Match: *` to create, `If-Match` to replace) and conditional deletes
/// (`If-Match` on DeleteObject) where the server has them (LocalStack answers 501: ``delete(ifMatch:)`` is `false`).
public struct S3LeaseObjectStore: LeaseObjectStore {
    /// The client requests go through.
    public let client: S3Client
    /// The bucket.
    public let bucket: String
    /// The lease object's key.
    public let key: String
    /// Encryption and other write options (storage class is left out: the object is tiny and rewritten often).
    public let putOptions: S3PutOptions

    /// The lease key of `location`: `<prefix>/<agentIdentity>/<owner-repo>/lease.json`.
    public static func key(for location: SyncLocation) -> String { location.root + "/lease.json" }

    public init(client: S3Client, location: SyncLocation, putOptions: S3PutOptions = S3PutOptions()) {
        self.client = client
        bucket = location.bucket
        key = Self.key(for: location)
        var put = putOptions
        put.storageClass = nil
        put.contentType = "application/json"
        put.knownSHA256 = nil
        put.ifMatch = nil
        put.ifNoneMatch = nil
        self.putOptions = put
    }

    public var location: String { "s3://\(bucket)/\(key)" }

    public func read() async throws(LeaseStoreError) -> LeaseObject? {
        do {
            let result = try await client.getObjectBytes(bucket: bucket, key: key, limit: 64 << 10)
            return LeaseObject(bytes: result.bytes, etag: result.head.etag ?? "")
        } catch {
            if error.code == .notFound && error.s3Code != "NoSuchBucket" { return nil }
            throw failure(error, doing: "reading")
        }
    }

    public func create(_ bytes: [UInt8]) async throws(LeaseStoreError) -> String? {
        var put = putOptions
        put.ifNoneMatch = "*"
        do {
            return try await etag(of: client.putObject(bucket: bucket, key: key, body: .bytes(bytes), options: put))
        } catch {
            if error.code == .preconditionFailed || error.status == 409 { return nil }
            throw failure(error, doing: "creating")
        }
    }

    public func replace(_ bytes: [UInt8], ifMatch etag: String) async throws(LeaseStoreError) -> LeaseWrite {
        var put = putOptions
        put.ifMatch = etag
        do {
            return .written(
                try await self.etag(of: client.putObject(bucket: bucket, key: key, body: .bytes(bytes), options: put)))
        } catch {
            if error.code == .preconditionFailed || error.status == 409 { return .conflict }
            if error.code == .notFound && error.s3Code != "NoSuchBucket" { return .missing }
            throw failure(error, doing: "renewing")
        }
    }

    public func delete(ifMatch etag: String) async throws(LeaseStoreError) -> Bool {
        do {
            try await client.deleteObject(bucket: bucket, key: key, ifMatch: etag)
            return true
        } catch {
            if error.status == 501 || error.s3Code == "NotImplemented" { return false }
            throw failure(error, doing: "deleting")
        }
    }

    /// The ETag of a write (S3 always sends one; a HEAD when a server did not).
    private func etag(of result: S3PutResult) async throws(S3Error) -> String {
        if let etag = result.etag { return etag }
        return try await client.headObject(bucket: bucket, key: key).etag ?? ""
    }

    private func failure(_ error: S3Error, doing action: String) -> LeaseStoreError {
        LeaseStoreError(
            "\(action) the lease \(location) failed: \(error.description)"
                + (error.code == .accessDenied ? " (needs s3:GetObject, s3:PutObject, s3:DeleteObject on it)" : ""),
            accessDenied: error.code == .accessDenied)
    }
}
