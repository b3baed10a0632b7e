/// Where bytes live inside a pack object: `length` bytes from `offset` of the object `key`.
///
/// Packs (`<root>/packs/<generation>-<random>.pack`) are written once under a new key and never changed, so a
/// manifest that names a range can rely on it until no kept generation names the pack.
public struct PackRange: Codable, Sendable, Equatable, Hashable {
    /// The pack's object key.
    public var key: String
    /// The first byte, from the start of the pack.
    public var offset: Int64
    /// How many bytes.
    public var length: Int64

    public init(key: String, offset: Int64, length: Int64) {
        self.key = key
        self.offset = offset
        self.length = length
    }

    /// The byte after the range.
    public var end: Int64 { offset + length }
}
