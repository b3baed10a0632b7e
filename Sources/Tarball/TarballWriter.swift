/// Writes a directory as a deterministic POSIX pax tarball: entries sorted, uid/gid 0, no owner names,
/// modes and mtimes kept. The SHA-256 of the compressed stream is computed while writing.
public struct TarballWriter: Sendable {
    /// How the tarball is made.
    public var options: TarballOptions

    public init(options: TarballOptions = TarballOptions()) {
        self.options = options
    }

    /// Archives `directory` into the file at `path`, atomically (temp file, fsync, rename).
    public func write(directory: String, to path: String) throws(TarballError) -> TarballSummary {
        throw TarballError(code: .io, message: "TarballWriter is not implemented yet")
    }

    /// Archives `directory`, handing each compressed block to `sink` as it is produced (for streaming uploads).
    public func write(
        directory: String, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws(TarballError) -> TarballSummary {
        throw TarballError(code: .io, message: "TarballWriter is not implemented yet")
    }
}
