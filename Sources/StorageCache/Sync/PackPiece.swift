/// Bytes a push copies from a local file into its pack: `length` bytes at `offset` of `path`, which must hash to
/// `sha256` when read (else the file changed since it was scanned and the push stops).
struct PackPiece: Sendable, Equatable {
    /// The file, relative to the pushed directory.
    var path: String
    /// Where the bytes start in the file.
    var offset: Int64
    /// How many bytes.
    var length: Int64
    /// SHA-256 of the bytes.
    var sha256: [UInt8]
}
