import CArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Extracts tarballs safely: refuses entries that would leave the destination, device nodes and fifos;
/// strips setuid/setgid; extracts into a staging directory beside the destination and swaps it in atomically,
/// so any failure leaves the destination exactly as it was.
public struct TarballReader: Sendable {
    /// Whether to flush the extracted tree to disk (one `syncfs` of its file system) before swapping it in, so a
    /// machine crash right after the swap cannot leave a destination with empty or short files. Off by default,
    /// as in tar and actions/cache: `syncfs` waits for every dirty byte of the file system (other processes'
    /// too), and a restore can always be run again from its archive. A killed process never needs it: the swap is
    /// atomic and the page cache survives it. `Scripts/bench tarball` times both ways.
    public var syncBeforeSwap: Bool
    /// Exclude patterns whose matches in the old destination are kept across the extraction
    /// (``ExcludedCarryOver``: the save left them out, so the restore leaves them alone). None by default.
    public var keepExcluded: [String]

    public init(syncBeforeSwap: Bool = false, keepExcluded: [String] = []) {
        self.syncBeforeSwap = syncBeforeSwap
        self.keepExcluded = keepExcluded
    }

    /// Replaces `destination` with the content of the archive at `path` (zstd, gzip or plain tar, detected).
    /// When `expectedSHA256` is given, the archive's bytes must hash to it or nothing changes.
    ///
    /// The tree is extracted into `<parent>/.<name>.sc-staging-<random>` and swapped in with
    /// `renameat2(RENAME_EXCHANGE)`; staging directories left by a crashed run are removed first. Extractions
    /// into the same destination are serialised by a lock file `<parent>/.<name>.sc-lock`.
    ///
    /// `verify`, when given, sees the complete staging tree before the swap; throwing from it discards the tree
    /// and leaves the destination as it was (callers check the content against a manifest this way). The paths
    /// ``keepExcluded`` matches are carried over from the old destination after `verify`.
    public func extract(
        archive path: String, into destination: String, expectedSHA256: String? = nil,
        verify: ((String) throws(TarballError) -> Void)? = nil
    ) throws(TarballError) -> TarballSummary {
        let input = try ArchiveInput(path: path)
        let staging = try StagingDirectory(destination: destination)
        defer { staging.unlock() }
        staging.removeLeftovers()
        try staging.create()
        do throws(TarballError) {
            var extractor = TreeExtractor(input: input, root: staging.path, archiveName: path)
            extractor.startsWriteback = syncBeforeSwap
            var summary = try extractor.run()
            try input.drain()
            summary.compressedBytes = input.bytes
            summary.sha256 = input.finalizeDigest()
            if let expectedSHA256, expectedSHA256.lowercased() != summary.sha256 {
                throw TarballError(
                    code: .checksumMismatch,
                    message:
                        "the archive \(path) has SHA-256 \(summary.sha256), expected \(expectedSHA256.lowercased())")
            }
            try verify?(String(pathBytes: staging.path))
            try ExcludedCarryOver(patterns: keepExcluded).carry(from: staging.destination, into: staging.path)
            staging.applyRootMode()
            if syncBeforeSwap { try staging.sync() }
            try staging.swapIn()
            return summary
        } catch {
            staging.discard()
            throw error
        }
    }

    /// The entry paths of the archive at `path`, in archive order.
    public func list(archive path: String) throws(TarballError) -> [String] {
        let input = try ArchiveInput(path: path)
        let archive = try TreeExtractor.openReader(input: input, archiveName: path)
        defer { archive_read_free(archive) }
        var names: [String] = []
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN, let entry else {
                throw input.failure ?? TreeExtractor.corrupted(archive, path)
            }
            names.append(String(pathBytes: EntryPolicy.pathname(entry)))
            guard archive_read_data_skip(archive) >= ARCHIVE_WARN else {
                throw input.failure ?? TreeExtractor.corrupted(archive, path)
            }
        }
        return names
    }
}
