#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The S3 generation a primary entry's tree corresponds to, kept in the entry's metadata (``SaveOptions/metadata``,
/// ``LookupResult/metadata``): `s3generation` (decimal) and `s3time` (ISO 8601, when the generation was
/// committed or observed). Names are plain letters and digits so an Azure blob can carry them as `x-ms-meta-*`.
public struct GenerationStamp: Sendable, Equatable, Codable {
    /// The S3 generation (`0`: S3 held nothing).
    public var generation: Int
    /// When that generation was committed or observed.
    public var time: Date?

    /// The metadata names.
    public static let generationName = "s3generation"
    public static let timeName = "s3time"

    public init(generation: Int, time: Date? = Date()) {
        self.generation = generation
        self.time = time
    }

    /// The stamp in `metadata`, `nil` when there is none (an entry saved without S3 or by an older tool).
    public init?(metadata: [String: String]?) {
        guard let text = metadata?[Self.generationName], let generation = Int(text), generation >= 0 else {
            return nil
        }
        self.generation = generation
        self.time = metadata?[Self.timeName].flatMap { try? Date($0, strategy: .iso8601) }
    }

    /// The entry metadata holding this stamp.
    public var metadata: [String: String] {
        var metadata = [Self.generationName: String(generation)]
        if let time { metadata[Self.timeName] = time.formatted(.iso8601) }
        return metadata
    }
}
