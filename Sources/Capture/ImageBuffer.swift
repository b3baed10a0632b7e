#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bytes of one database image held in memory, shared read-only between the capture and the upload.
///
/// Written only while the capture builds it (before it is handed out); read-only afterwards, hence `Sendable`.
/// Either anonymous memory the image was read into, or a private mapping of the database file with the WAL's
/// pages written over it (copy-on-write): the mapping then keeps the capture's read transaction open
/// (``ReadConnection``) for as long as it lives, so no checkpoint can change the file pages it still shares.
public final class ImageBuffer: @unchecked Sendable {
    /// The bytes.
    public let bytes: UnsafeMutableRawBufferPointer

    private let mapped: Bool
    /// The read transaction a file mapping depends on.
    private let hold: ReadConnection?

    /// A buffer of `count` bytes (zeros until written): an anonymous mapping that asks for huge pages, so filling
    /// a large image takes a few hundred page faults instead of one per 4 KiB.
    init(count: Int) {
        self.count = count
        hold = nil
        let length = max(1, count)
        if let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            base != MAP_FAILED
        {
            #if os(Linux)
                _ = madvise(base, length, MADV_HUGEPAGE)
            #endif
            bytes = UnsafeMutableRawBufferPointer(start: base, count: length)
            mapped = true
        } else {
            bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 4096)
            mapped = false
        }
    }

    /// A private, writable mapping of the first `count` bytes of the file `fd` (at least that long), or `nil`.
    /// `hold` stays open until the buffer goes.
    init?(mapping fd: Int32, count: Int, hold: ReadConnection) {
        guard count > 0, let base = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), base != MAP_FAILED
        else { return nil }
        bytes = UnsafeMutableRawBufferPointer(start: base, count: count)
        self.count = count
        mapped = true
        self.hold = hold
    }

    /// How many bytes the image holds.
    public let count: Int

    /// The bytes in `offset..<offset + length`, valid while the buffer lives.
    public func slice(offset: Int, length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[offset..<offset + length])
    }

    /// All the bytes.
    public var all: UnsafeRawBufferPointer { slice(offset: 0, length: count) }

    deinit {
        if mapped { munmap(bytes.baseAddress, bytes.count) } else { bytes.deallocate() }
        _ = hold  // released after the mapping
    }
}
