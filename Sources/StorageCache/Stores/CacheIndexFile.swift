import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads and writes a cache's `index.json`. Writes are atomic (temp file, fsync, rename), so a reader sees one
/// whole index; callers change the index only while holding the ``CacheLock``.
package struct CacheIndexFile: Sendable {
    package let directory: CacheDirectory
    package let logger: Logger

    package init(directory: CacheDirectory, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// The current index; empty when there is none. An unreadable index reads as empty (its archives then become
    /// orphans that maintenance removes); with `setAsideDamaged` (only under the lock) it is also renamed to
    /// `index.json.damaged` for inspection.
    package func load(setAsideDamaged: Bool = false) throws(StoreError) -> CacheIndex {
        guard let bytes = try FileSystem.readFile(directory.indexPath) else { return CacheIndex() }
        do {
            return try Self.decoder.decode(CacheIndex.self, from: Data(bytes))
        } catch {
            logger.warning("cache index \(directory.indexPath) is damaged (\(error)); treating the cache as empty")
            if setAsideDamaged { try? FileSystem.move(directory.indexPath, to: directory.indexPath + ".damaged") }
            return CacheIndex()
        }
    }

    /// Replaces the index with `index`, atomically.
    package func store(_ index: CacheIndex) throws(StoreError) {
        let data: Data
        do {
            data = try Self.encoder.encode(index)
        } catch {
            throw StoreError(code: .io, message: "cannot encode the cache index: \(error)")
        }
        try FileSystem.writeAtomically(
            Array(data) + [0x0a], to: directory.indexPath, temporaryDirectory: directory.temporaryPath)
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
