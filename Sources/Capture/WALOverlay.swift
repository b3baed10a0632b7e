#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Lays the committed frames `1...maxFrame` of a `-wal` file over a database image read from the main file: the
/// latest frame of each page wins. Every frame is checked (salts, cumulative checksum from the WAL header) and
/// the last one must be the commit the wal-index header names; anything unexpected is a ``Failure``.
struct WALOverlay {
    struct Failure: Error {
        var message: String
    }

    /// The WAL header's 32 bytes.
    var walHeader: [UInt8] = []

    /// Overlays frames `1...index.maxFrame` of the `-wal` file `fd` on `image` (`pageCount` pages of
    /// `pageSize`); marks the pages it wrote in `covered`.
    mutating func apply(
        wal fd: Int32?, index: WALIndexHeader, image: ImageBuffer, pageSize: Int, pageCount: Int,
        covered: inout [Bool]
    ) throws(Failure) {
        guard let fd else { throw Failure(message: "cannot open the WAL: \(String(cString: strerror(errno)))") }
        walHeader = try Self.readHeader(fd)
        let header = walHeader
        func word(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
            UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        let (magic, version, walPageSize, salt1, salt2, sum1, sum2) = header.withUnsafeBytes {
            (word($0, 0), word($0, 4), Int(word($0, 8)), word($0, 16), word($0, 20), word($0, 24), word($0, 28))
        }
        guard magic == 0x377f_0682 || magic == 0x377f_0683, version == 3_007_000 else {
            throw Failure(message: "the WAL header is not a WAL header")
        }
        let bigEndian = magic & 1 == 1
        guard walPageSize == pageSize, index.pageSize == pageSize else {
            throw Failure(message: "the WAL's page size differs from the database's")
        }
        guard header[16..<24] == index.saltBytes else {
            throw Failure(message: "the WAL's salts differ from the index")
        }
        var sums = WALChecksum.sum(header[0..<24], bigEndian: bigEndian, seed: (0, 0))
        guard sums == (sum1, sum2) else { throw Failure(message: "the WAL header's checksum does not match") }

        let frameSize = 24 + pageSize
        let maxFrame = Int(index.maxFrame)
        let batch = max(1, (4 << 20) / frameSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: batch * frameSize, alignment: 16)
        defer { buffer.deallocate() }
        var frame = 0
        var lastCommit: UInt32 = 0
        while frame < maxFrame {
            let count = min(batch, maxFrame - frame)
            let want = count * frameSize
            let got = Self.readFully(fd, buffer.baseAddress!, want, offset: 32 + frame * frameSize)
            guard got == want else { throw Failure(message: "the WAL is shorter than its committed frames") }
            for k in 0..<count {
                let bytes = UnsafeRawBufferPointer(
                    rebasing: UnsafeRawBufferPointer(buffer)[k * frameSize..<(k + 1) * frameSize])
                let page = Int(word(bytes, 0))
                let commit = word(bytes, 4)
                guard word(bytes, 8) == salt1, word(bytes, 12) == salt2 else {
                    throw Failure(message: "WAL frame \(frame + k + 1) has other salts")
                }
                sums = WALChecksum.sum(
                    UnsafeRawBufferPointer(rebasing: bytes[0..<8]), bigEndian: bigEndian, seed: sums)
                sums = WALChecksum.sum(
                    UnsafeRawBufferPointer(rebasing: bytes[24..<frameSize]), bigEndian: bigEndian, seed: sums)
                guard sums == (word(bytes, 16), word(bytes, 20)) else {
                    throw Failure(message: "WAL frame \(frame + k + 1) fails its checksum")
                }
                guard page >= 1 else { throw Failure(message: "WAL frame \(frame + k + 1) names page 0") }
                lastCommit = commit
                if page <= pageCount {
                    (image.bytes.baseAddress! + (page - 1) * pageSize).copyMemory(
                        from: bytes.baseAddress! + 24, byteCount: pageSize)
                    covered[page - 1] = true
                }
            }
            frame += count
        }
        guard lastCommit != 0, Int(lastCommit) == pageCount, lastCommit == index.pageCount,
            sums == index.frameChecksum
        else { throw Failure(message: "the WAL's last committed frame is not the one the index names") }
    }

    /// Whether the WAL header is still the one ``apply`` read (no reset meanwhile).
    func headerUnchanged(wal fd: Int32?) -> Bool {
        guard let fd else { return false }
        return (try? Self.readHeader(fd)) == walHeader
    }

    private static func readHeader(_ fd: Int32) throws(Failure) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 32)
        let n = header.withUnsafeMutableBytes { readFully(fd, $0.baseAddress!, 32, offset: 0) }
        guard n == 32 else { throw Failure(message: "the WAL has no header") }
        return header
    }

    /// `pread` until `count` bytes or the end of the file; returns the bytes read (-1 on an error).
    static func readFully(_ fd: Int32, _ base: UnsafeMutableRawPointer, _ count: Int, offset: Int) -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, base + done, count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return -1 }
            if n == 0 { break }
            done += n
        }
        return done
    }
}
