import Foundation

/// The commit record of one push: which files the S3 copy holds, and how to check them.
///
/// A reader trusts only what a manifest names: objects are written first, the manifest last, so a pull that
/// follows a manifest never sees half of a push.
public struct Manifest: Codable, Sendable, Equatable {
    /// The manifest format this tool writes.
    public static let currentFormatVersion = 1

    /// Format version; a reader refuses versions it does not know.
    public var formatVersion: Int
    /// Increases by one with every committed push.
    public var generation: Int
    /// When the push was committed (UTC, ISO 8601).
    public var createdAt: Date
    /// The storage-cache version that wrote it.
    public var toolVersion: String
    /// The generation this push was built on (the manifest it replaced), when there was one.
    public var parentGeneration: Int?
    /// Every entry of the tree, sorted by path.
    public var files: [ManifestEntry]
    /// The snapshot tarball of this generation, when one was written.
    public var snapshot: ManifestSnapshot?

    public init(
        formatVersion: Int = Manifest.currentFormatVersion, generation: Int, createdAt: Date, toolVersion: String,
        parentGeneration: Int? = nil, files: [ManifestEntry], snapshot: ManifestSnapshot? = nil
    ) {
        self.formatVersion = formatVersion
        self.generation = generation
        self.createdAt = createdAt
        self.toolVersion = toolVersion
        self.parentGeneration = parentGeneration
        self.files = files
        self.snapshot = snapshot
    }

    /// Regular files' total content size.
    public var totalBytes: Int64 { files.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) } }

    /// The entries by path.
    public var entriesByPath: [String: ManifestEntry] {
        Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Stable JSON: sorted keys, ISO 8601 dates.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(self))
    }

    /// Parses and checks a manifest: known format version, relative paths without `..`, no duplicates.
    public static func decode(_ bytes: [UInt8]) throws(ManifestError) -> Manifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let manifest: Manifest
        do {
            manifest = try decoder.decode(Manifest.self, from: Data(bytes))
        } catch {
            throw ManifestError("manifest.json is not a valid manifest: \(error)")
        }
        guard manifest.formatVersion == currentFormatVersion else {
            throw ManifestError(
                "manifest.json has format version \(manifest.formatVersion); this storage-cache reads version "
                    + "\(currentFormatVersion) (upgrade storage-cache)")
        }
        var seen = Set<String>()
        for entry in manifest.files {
            guard ManifestEntry.isSafeRelativePath(entry.path) else {
                throw ManifestError("manifest.json names an unsafe path: \(entry.path.debugDescription)")
            }
            guard seen.insert(entry.path).inserted else {
                throw ManifestError("manifest.json names \(entry.path.debugDescription) twice")
            }
        }
        return manifest
    }
}

/// A manifest that cannot be read or trusted.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    /// A message fit for a user.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
