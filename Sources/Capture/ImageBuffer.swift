/// Bytes of one database image held in memory, shared read-only between the capture and the upload.
///
/// Written only while the capture builds it (before it is handed out); read-only afterwards, hence `Sendable`.
public final class ImageBuffer: @unchecked Sendable {
    /// The bytes.
    public let bytes: UnsafeMutableRawBufferPointer

    /// A buffer of `count` bytes (contents undefined until written).
    init(count: Int) {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, count), alignment: 4096)
        self.count = count
    }

    /// How many bytes the image holds.
    public let count: Int

    /// The bytes in `offset..<offset + length`, valid while the buffer lives.
    public func slice(offset: Int, length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[offset..<offset + length])
    }

    /// All the bytes.
    public var all: UnsafeRawBufferPointer { slice(offset: 0, length: count) }

    deinit { bytes.deallocate() }
}
