/// What a pull restored.
public struct PullResult: Sendable {
    /// Where the restored tree came from.
    public enum Source: String, Sendable {
        /// The snapshot tarball named by the manifest.
        case snapshot
        /// The per-file objects named by the manifest.
        case objects
        /// Every object under `storage/`, found by listing (no manifest: data written by another tool).
        case listing
        /// Nothing was stored; the destination was left as it was.
        case none
    }

    /// Where the tree came from.
    public var source: Source
    /// The generation restored (`nil` without a manifest).
    public var generation: Int?
    /// Files restored and their bytes.
    public var files: Int
    public var bytes: Int64
    /// Notices and warnings for the user.
    public var warnings: [String]
    /// Seconds taken.
    public var seconds: Double
}
