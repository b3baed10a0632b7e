import Foundation
import Hashing
import Logging
import S3

/// Pushes a local tree to its RFC-019 location in S3 and pulls it back, verified.
///
/// A push uploads new and changed files (by size and SHA-256), writes a snapshot tarball, commits a manifest with
/// a conditional write, then deletes the objects of removed files. A pull restores exactly what a manifest names,
/// checks every SHA-256, and swaps the result into place, so the destination is always the old tree or the new one.
public final class SyncEngine: Sendable {
    /// The S3 client requests go through.
    public let client: S3Client
    /// Where the tree lives.
    public let location: SyncLocation
    /// How it is pushed and pulled.
    public let options: SyncOptions
    let logger: Logger

    /// The version written into manifests.
    public static let toolVersion = "0.1.0"

    public init(client: S3Client, location: SyncLocation, options: SyncOptions = SyncOptions(), logger: Logger) {
        self.client = client
        self.location = location
        self.options = options
        self.logger = logger
    }

    /// A manifest read from S3, with the ETag a conditional commit needs.
    public struct RemoteManifest: Sendable {
        /// The manifest.
        public var manifest: Manifest
        /// Its object's ETag.
        public var etag: String?
        /// Its raw bytes.
        public var bytes: [UInt8]
    }

    /// The current manifest, or `nil` when none has been committed.
    public func readManifest() async throws(SyncError) -> RemoteManifest? {
        let timer = PhaseTimer(logger: logger)
        let bytes: [UInt8]
        let etag: String?
        let started = ContinuousClock.now
        do {
            let result = try await client.getObjectBytes(
                bucket: location.bucket, key: location.manifestKey, limit: 512 << 20)
            bytes = result.bytes
            etag = result.head.etag
        } catch {
            if error.code == .notFound && error.s3Code != "NoSuchBucket" { return nil }
            throw SyncError(s3: error, doing: "reading s3://\(location.bucket)/\(location.manifestKey)")
        }
        timer.log("manifest GET", since: started)
        do {
            let manifest = try timer.measure("manifest decode") { () throws(ManifestError) in
                try Manifest.decode(bytes)
            }
            return RemoteManifest(manifest: manifest, etag: etag, bytes: bytes)
        } catch {
            throw SyncError(.corrupted, "s3://\(location.bucket)/\(location.manifestKey): \(error.message)")
        }
    }

    /// The relative paths of every object under `storage/`.
    func listStoredPaths() async throws(SyncError) -> [(path: String, size: Int64)] {
        do {
            let listing = try await client.listObjects(bucket: location.bucket, prefix: location.storagePrefix)
            return listing.objects.compactMap { object in
                guard let path = location.relativePath(forKey: object.key), !path.hasSuffix("/") else { return nil }
                return (path, object.size)
            }
        } catch {
            throw SyncError(
                s3: error, doing: "listing s3://\(location.bucket)/\(location.storagePrefix) (needs s3:ListBucket)")
        }
    }

    /// Where the hash cache for `directory` lives, when a state directory is set.
    func hashCachePath(for directory: String) -> String? {
        guard let state = options.stateDirectory else { return nil }
        let id = Digest.sha256Hex(Array((location.bucket + "\n" + location.root + "\n" + directory).utf8))
        return state + "/hash-cache-" + id.prefix(16) + ".json"
    }
}
