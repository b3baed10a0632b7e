/// A push refused because S3 moved past the generation its tree was built on
/// (``SyncOptions/expectedBaseGeneration``): the newer generation stays current and the rejected manifest is kept
/// at ``recordKey`` (with its snapshot at ``snapshotKey``) for recovery.
public struct SyncConflict: Sendable, Codable, Equatable {
    /// The generation the pushed tree was built on (`0`: nothing was stored).
    public var baseGeneration: Int
    /// The newer generation S3 holds, still current.
    public var currentGeneration: Int
    /// The generation number the rejected manifest carries (`baseGeneration + 1`).
    public var rejectedGeneration: Int
    /// `<root>/conflicts/<rejectedGeneration>-<UTC time>-<random>.json`, `nil` when it could not be written.
    public var recordKey: String?
    /// `<root>/conflicts/<rejectedGeneration>-<UTC time>-<random>.tar.zst` (the rejected tree), `nil` when none was written.
    public var snapshotKey: String?

    public init(
        baseGeneration: Int, currentGeneration: Int, rejectedGeneration: Int, recordKey: String? = nil,
        snapshotKey: String? = nil
    ) {
        self.baseGeneration = baseGeneration
        self.currentGeneration = currentGeneration
        self.rejectedGeneration = rejectedGeneration
        self.recordKey = recordKey
        self.snapshotKey = snapshotKey
    }

    /// A warning for the user: what was kept, what was refused, where the rejected state is.
    public var message: String {
        "S3 holds generation \(currentGeneration), newer than generation \(baseGeneration) this tree was built on; "
            + "kept generation \(currentGeneration) current and did not push"
            + (recordKey.map { "; the rejected manifest is at \($0)" } ?? " (the rejected manifest could not be kept)")
    }
}
