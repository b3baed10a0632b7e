#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The wal-index header at the start of a WAL database's `-shm` file (SQLite's `WalIndexHdr`, native byte order):
/// which WAL frames are committed (`mxFrame`), the database size after them, the WAL's salts and the checksum of
/// the last committed frame. Read from the file; valid only when both copies agree and the checksum matches.
struct WALIndexHeader: Equatable, Sendable {
    /// The 48 header bytes.
    var raw: [UInt8]

    /// Frames committed to the WAL (1-based index of the last one; 0 for none).
    var maxFrame: UInt32 { word(16) }
    /// Database size in pages after `maxFrame`.
    var pageCount: UInt32 { word(20) }
    /// The cumulative checksum of frame `maxFrame`.
    var frameChecksum: (UInt32, UInt32) { (word(24), word(28)) }
    /// The salts, as SQLite copies them from the WAL header: its bytes 16…23, unchanged.
    var saltBytes: ArraySlice<UInt8> { raw[32..<40] }
    /// The page size (65536 is stored as 1).
    var pageSize: Int {
        let stored = Int(raw[14]) | Int(raw[15]) << 8
        return stored == 1 ? 65536 : stored
    }

    private func word(_ offset: Int) -> UInt32 {
        raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
    }

    /// Reads the header of the `-shm` file `fd` (`nil`: none); `nil` when it is short, not initialised, or its
    /// two copies disagree (a writer was changing it) or fail their checksum.
    static func read(_ fd: Int32?) -> WALIndexHeader? {
        guard let fd else { return nil }
        var bytes = [UInt8](repeating: 0, count: 96)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 96, 0) }
        guard n == 96, Array(bytes[0..<48]) == Array(bytes[48..<96]) else { return nil }
        let header = WALIndexHeader(raw: Array(bytes[0..<48]))
        guard header.raw[12] == 1, header.word(0) == 3_007_000 else { return nil }
        // The checksum over the first 40 bytes, native byte order (SQLite's walChecksumBytes).
        let sums = WALChecksum.sum(header.raw[0..<40], bigEndian: false, seed: (0, 0))
        guard sums == (header.word(40), header.word(44)) else { return nil }
        return header
    }
}

/// SQLite's WAL checksum: pairs of 32-bit words `x0, x1` fold into `s0 += x0 + s1; s1 += x1 + s0`.
enum WALChecksum {
    /// Folds `bytes` (a multiple of 8 long) into `seed`; words are big-endian when `bigEndian`, else native.
    static func sum(_ bytes: ArraySlice<UInt8>, bigEndian: Bool, seed: (UInt32, UInt32)) -> (UInt32, UInt32) {
        bytes.withUnsafeBytes { sum($0, bigEndian: bigEndian, seed: seed) }
    }

    static func sum(_ bytes: UnsafeRawBufferPointer, bigEndian: Bool, seed: (UInt32, UInt32)) -> (UInt32, UInt32) {
        var s0 = seed.0
        var s1 = seed.1
        var offset = 0
        let end = bytes.count & ~7
        if bigEndian {
            while offset < end {
                s0 = s0 &+ UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) &+ s1
                s1 = s1 &+ UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)) &+ s0
                offset += 8
            }
        } else {
            while offset < end {
                s0 = s0 &+ bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self) &+ s1
                s1 = s1 &+ bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self) &+ s0
                offset += 8
            }
        }
        return (s0, s1)
    }
}
