#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The current S3 generation as one request reads it (``SyncEngine/readHead()``): a HEAD of `manifest.json`
/// whose `x-amz-meta-generation` / `x-amz-meta-created-at` the commit wrote, or, for a manifest written without
/// them, the manifest itself.
public struct ManifestHead: Sendable, Equatable, Codable {
    /// The committed generation.
    public var generation: Int
    /// When it was committed, when known.
    public var createdAt: Date?
    /// The manifest object's ETag.
    public var etag: String?

    public init(generation: Int, createdAt: Date? = nil, etag: String? = nil) {
        self.generation = generation
        self.createdAt = createdAt
        self.etag = etag
    }

    /// The user-metadata names the manifest commit writes (`x-amz-meta-<name>`).
    public static let generationMetadata = "generation"
    public static let createdAtMetadata = "created-at"

    /// The metadata a commit of `manifest` carries, so a HEAD tells its generation.
    public static func metadata(for manifest: Manifest) -> [String: String] {
        [
            generationMetadata: String(manifest.generation),
            createdAtMetadata: manifest.createdAt.formatted(.iso8601),
        ]
    }

    /// The head described by a HEAD's user metadata, `nil` when the generation is missing or malformed.
    public init?(metadata: [String: String], etag: String?) {
        guard let text = metadata[Self.generationMetadata], let generation = Int(text), generation >= 0 else {
            return nil
        }
        self.init(
            generation: generation,
            createdAt: metadata[Self.createdAtMetadata].flatMap { try? Date($0, strategy: .iso8601) }, etag: etag)
    }
}
