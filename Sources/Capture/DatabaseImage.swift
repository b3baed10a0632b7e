#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A database captured into memory (``CaptureOptions/imageChunkSize``) instead of a staging file: one committed
/// state that passed `PRAGMA quick_check`, with the digests a push needs, taken while the check ran.
public struct DatabaseImage: Sendable {
    /// The database's path relative to the captured directory.
    public let path: String
    /// The image.
    public let buffer: ImageBuffer
    /// The image's digest: SHA-256 of its chunk digests concatenated, lower-case hex (the manifest's
    /// `chunk-sha256` file digest), not of its bytes.
    public let sha256: String
    /// The chunk size of ``chunkDigests``.
    public let chunkSize: Int64
    /// SHA-256 of every `chunkSize` chunk, in order (the last one may be shorter).
    public let chunkDigests: [[UInt8]]
    /// The source file's permission bits.
    public let mode: UInt32
    /// The source file's modification time, seconds since 1970.
    public let mtime: Double

    /// Bytes in the image.
    public var size: Int64 { Int64(buffer.count) }
}

extension DatabaseImage {
    /// Writes the image into a new file at `path` (with the source's permission bits).
    public func write(to path: String) throws(CaptureError) {
        try CaptureFiles.writeFile(buffer.all, to: path, mode: mode_t(mode & 0o7777))
    }
}
