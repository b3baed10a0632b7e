import Foundation
import Tarball

#if canImport(Glibc)
    import Glibc
#endif

extension FileHashCache {
    /// Records, for every file entry of `entries` whose digest is over its chunk digests, the digest the file at
    /// `root` really has by that definition (so a scan compares it with the entry without a whole-file pass). A
    /// chunk that differs from the entry's list records a digest that cannot match.
    static func seedChunkDigests(_ cache: inout FileHashCache, root: String, entries: [ManifestEntry])
        throws(TarballError)
    {
        for entry in entries where entry.kind == .file && entry.chunks?.fileDigest == ChunkList.chunkDigestsKind {
            guard let list = entry.chunks else { continue }
            let path = root + "/" + entry.path
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }  // missing: the scan reports it
            let expected: [ChunkList.Chunk]
            do { expected = try list.chunks(fileSize: entry.size) } catch {
                throw TarballError(code: .corrupted, message: "\(entry.path): \(error.message)")
            }
            let read: ChunkDigests
            do { read = try ChunkDigests.of(path: path, chunkSize: list.chunkSize, whole: false) } catch {
                throw TarballError(code: .io, message: error.message)
            }
            let matches = read.chunks == expected.map(\.sha256)
            let digest = matches ? read.whole : "chunks-differ"
            let stamp = Stamp(
                size: Int64(info.st_size),
                mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                ctimeNanoseconds: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
                inode: UInt64(info.st_ino))
            cache.record(digest, for: entry.path, stamp: stamp)
        }
    }
}
