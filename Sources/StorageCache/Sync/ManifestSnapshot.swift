/// The snapshot tarball recorded in a ``Manifest``: one object holding the whole tree, for fast pulls.
public struct ManifestSnapshot: Codable, Sendable, Equatable {
    /// The object key.
    public var key: String
    /// Lower-case hex SHA-256 of the compressed tarball.
    public var sha256: String
    /// Bytes of the compressed tarball.
    public var size: Int64
    /// The generation the snapshot was made for. Format 1: a pull uses it only when it equals the manifest's.
    /// Format 2: the snapshot holds every file entry that has neither `pack` nor `chunks`, whatever the generation.
    public var generation: Int

    public init(key: String, sha256: String, size: Int64, generation: Int) {
        self.key = key
        self.sha256 = sha256
        self.size = size
        self.generation = generation
    }
}
