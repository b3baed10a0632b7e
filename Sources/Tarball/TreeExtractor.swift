import CArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a tar stream and writes its checked entries under a root directory with `archive_write_disk`.
struct TreeExtractor {
    let input: ArchiveInput
    /// Absolute, canonical path of the (staging) directory to fill.
    let root: [UInt8]
    let archiveName: String

    /// Time and permissions kept; symlinks and `..` refused by libarchive too. Never OWNER. Not
    /// SECURE_NOABSOLUTEPATHS: we hand libarchive absolute paths inside the staging directory (the alternative,
    /// chdir, is process-wide) after refusing absolute entry paths ourselves.
    static let diskFlags: Int32 =
        ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS
        | ARCHIVE_EXTRACT_SECURE_NODOTDOT

    static func openReader(input: ArchiveInput, archiveName: String) throws(TarballError) -> OpaquePointer {
        guard let archive = archive_read_new() else {
            throw TarballError(code: .io, message: "archive_read_new failed: out of memory")
        }
        archive_read_support_filter_zstd(archive)
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_tar(archive)
        guard input.open(archive) == ARCHIVE_OK else {
            let error = input.failure ?? corrupted(archive, archiveName)
            archive_read_free(archive)
            throw error
        }
        return archive
    }

    static func corrupted(_ archive: OpaquePointer, _ name: String) -> TarballError {
        let detail = archive_error_string(archive).map { String(cString: $0) } ?? "unexpected end of data"
        return TarballError(code: .corrupted, message: "the archive \(name) is damaged: \(detail)")
    }

    func run() throws(TarballError) -> TarballSummary {
        let archive = try Self.openReader(input: input, archiveName: archiveName)
        defer { archive_read_free(archive) }
        guard let disk = archive_write_disk_new() else {
            throw TarballError(code: .io, message: "archive_write_disk_new failed: out of memory")
        }
        defer { archive_write_free(disk) }
        archive_write_disk_set_options(disk, Self.diskFlags)
        var policy = EntryPolicy()
        var summary = TarballSummary(
            sha256: "", compressedBytes: 0, files: 0, directories: 0, symlinks: 0, contentBytes: 0)
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN, let entry else { throw input.failure ?? Self.corrupted(archive, archiveName) }
            guard let admitted = try policy.admit(entry) else { continue }
            let shown = String(pathBytes: admitted.path)
            Posix.withCString(Posix.join(root, admitted.path)) { archive_entry_copy_pathname(entry, $0) }
            if let target = admitted.linkTarget {
                Posix.withCString(Posix.join(root, target)) { archive_entry_copy_hardlink(entry, $0) }
            }
            archive_entry_set_perm(entry, archive_entry_perm(entry) & ~0o6000)
            guard archive_write_header(disk, entry) >= ARCHIVE_WARN else { throw Self.diskError(disk, shown) }
            switch admitted.kind {
            case .file:
                summary.files += 1
                summary.contentBytes += archive_entry_size(entry)
                try copyData(archive, disk, shown)
            case .hardLink:
                if archive_entry_size_is_set(entry) != 0, archive_entry_size(entry) > 0 {
                    try copyData(archive, disk, shown)
                }
            case .directory:
                summary.directories += 1
            case .symlink:
                summary.symlinks += 1
            }
            guard archive_write_finish_entry(disk) >= ARCHIVE_WARN else { throw Self.diskError(disk, shown) }
        }
        // Directory times and modes are set last, here.
        guard archive_write_close(disk) >= ARCHIVE_WARN else { throw Self.diskError(disk, "the directories") }
        return summary
    }

    private func copyData(_ archive: OpaquePointer, _ disk: OpaquePointer, _ shown: String) throws(TarballError) {
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let status = archive_read_data_block(archive, &block, &size, &offset)
            if status == ARCHIVE_EOF { return }
            guard status >= ARCHIVE_WARN else {
                let error = input.failure ?? Self.corrupted(archive, archiveName)
                throw TarballError(code: error.code, message: "\(error.message) (in \(shown))")
            }
            guard archive_write_data_block(disk, block, size, offset) >= ARCHIVE_WARN else {
                throw Self.diskError(disk, shown)
            }
        }
    }

    private static func diskError(_ disk: OpaquePointer, _ shown: String) -> TarballError {
        let detail = archive_error_string(disk).map { String(cString: $0) } ?? "unknown error"
        let code = archive_errno(disk)
        let cause = code > 0 && !detail.contains(Posix.describe(code)) ? " (\(Posix.describe(code)))" : ""
        return TarballError(code: .io, message: "cannot extract \(shown): \(detail)\(cause)")
    }
}
