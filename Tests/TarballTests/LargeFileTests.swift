import Foundation
import Tarball
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Files past the 8 GiB ustar size limit. Slow (it moves 8.5 GiB through zstd and the disk), so it runs only with
/// `STORAGE_CACHE_TEST_LARGE=1`.
@Suite struct LargeFileTests {
    static let enabled = ProcessInfo.processInfo.environment["STORAGE_CACHE_TEST_LARGE"] == "1"

    @Test(.enabled(if: enabled, "set STORAGE_CACHE_TEST_LARGE=1"))
    func fileOver8GiBRoundTrips() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Tree.mkdir(source)
        let size: Int64 = 8 * 1024 * 1024 * 1024 + 512 * 1024 * 1024 + 7
        let path = source + "/huge.bin"
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        try #require(fd >= 0)
        // Sparse zeros with a marker at the start and at the end.
        _ = "head".withCString { write(fd, $0, 4) }
        _ = "tail".withCString { pwrite(fd, $0, 4, off_t(size - 4)) }
        close(fd)

        let archive = scratch.sub("huge.tar.zst")
        let summary = try TarballWriter(options: TarballOptions(compression: .zstd(level: 1))).write(
            directory: source, to: archive)
        #expect(summary.contentBytes == size)
        let listed = Process.run("/usr/bin/tar", ["--zstd", "-tvf", archive])
        #expect(listed.status == 0)
        #expect(listed.output.contains(" \(size) "), "\(listed.output)")

        let restored = scratch.sub("restored")
        let extracted = try TarballReader().extract(archive: archive, into: restored)
        #expect(extracted.contentBytes == size)
        var info = stat()
        #expect(stat(restored + "/huge.bin", &info) == 0)
        #expect(Int64(info.st_size) == size)
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: restored + "/huge.bin"))
        defer { try? handle.close() }
        #expect(try handle.read(upToCount: 4) == Data("head".utf8))
        try handle.seek(toOffset: UInt64(size - 4))
        #expect(try handle.read(upToCount: 4) == Data("tail".utf8))
    }
}
