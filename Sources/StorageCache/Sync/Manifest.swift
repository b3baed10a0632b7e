import Foundation

/// The commit record of one push: which files the S3 copy holds, and how to check them.
///
/// A reader trusts only what a manifest names: objects are written first, the manifest last, so a pull that
/// follows a manifest never sees half of a push.
public struct Manifest: Codable, Sendable, Equatable {
    /// The manifest format this tool writes.
    public static let currentFormatVersion = 2
    /// The formats this tool reads: 1 (every file in the snapshot of the same generation, or under `storage/`) and
    /// 2 (files located in a snapshot of any generation, in packs, or chunked).
    public static let readableFormatVersions = 1...2

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
    /// Format 2: every pack the entries name, with its size in bytes.
    public var packs: [String: Int64]?
    /// Format 2: bytes of small files written to packs since the snapshot was taken (its refresh policy).
    public var changedSinceSnapshot: Int64?

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

    /// Whether the entries' locations follow format 2 (else format 1: snapshot of the same generation or
    /// `storage/`).
    public var locatesEntries: Bool { formatVersion >= 2 }

    /// The entries by path.
    public var entriesByPath: [String: ManifestEntry] {
        Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Stable JSON: sorted keys, ISO 8601 dates (``ManifestJSONWriter``: the bytes `JSONEncoder` gives).
    public func encoded() throws -> [UInt8] {
        try ManifestJSONWriter.encode(self)
    }

    /// The same JSON through `JSONEncoder` (the reference ``ManifestJSONWriter`` is tested against).
    func foundationEncoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(self))
    }

    /// Parses and checks a manifest: known format version, relative paths without `..`, no duplicates.
    ///
    /// ``ManifestJSONReader`` reads what storage-cache writes; anything it does not take is decoded by
    /// `JSONDecoder`, which also words the errors.
    public static func decode(_ bytes: [UInt8]) throws(ManifestError) -> Manifest {
        let manifest: Manifest
        if let fast = try? ManifestJSONReader.decode(bytes) {
            manifest = fast
        } else {
            manifest = try foundationDecoded(bytes)
        }
        try check(manifest)
        return manifest
    }

    /// `JSONDecoder`'s reading of `bytes`, unchecked.
    static func foundationDecoded(_ bytes: [UInt8]) throws(ManifestError) -> Manifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Manifest.self, from: Data(bytes))
        } catch {
            throw ManifestError("manifest.json is not a valid manifest: \(error)")
        }
    }

    /// Refuses a manifest of an unknown format, with unsafe or repeated paths, or with ranges that do not fit.
    static func check(_ manifest: Manifest) throws(ManifestError) {
        guard readableFormatVersions.contains(manifest.formatVersion) else {
            throw ManifestError(
                "manifest.json has format version \(manifest.formatVersion); this storage-cache reads versions "
                    + "\(readableFormatVersions.lowerBound)…\(readableFormatVersions.upperBound) (upgrade storage-cache)"
            )
        }
        var seen = Set<String>()
        for entry in manifest.files {
            guard ManifestEntry.isSafeRelativePath(entry.path) else {
                throw ManifestError("manifest.json names an unsafe path: \(entry.path.debugDescription)")
            }
            guard seen.insert(entry.path).inserted else {
                throw ManifestError("manifest.json names \(entry.path.debugDescription) twice")
            }
            if let pack = entry.pack, pack.length != entry.size || pack.offset < 0 {
                throw ManifestError("manifest.json gives \(entry.path.debugDescription) a pack range of the wrong size")
            }
            if let chunks = entry.chunks { _ = try chunks.chunks(fileSize: entry.size) }
        }
    }
}

/// A manifest that cannot be read or trusted.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    /// A message fit for a user.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
