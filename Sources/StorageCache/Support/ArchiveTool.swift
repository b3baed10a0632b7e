import Tarball

/// What an `archive create` or `archive extract` did.
public struct ArchiveResult: Sendable, Codable, Equatable {
    /// The archive file.
    public var archive: String
    /// The directory archived or extracted into.
    public var path: String
    /// Lower-case hex SHA-256 of the archive.
    public var sha256: String
    /// Bytes of the archive.
    public var bytes: Int64
    /// Bytes of file content.
    public var contentBytes: Int64
    /// Regular files.
    public var files: Int
    /// Directories.
    public var directories: Int
    /// Symbolic links.
    public var symlinks: Int
    /// Seconds it took.
    public var duration: Double

    init(archive: String, path: String, summary: TarballSummary, duration: Double) {
        self.archive = archive
        self.path = path
        self.sha256 = summary.sha256
        self.bytes = summary.compressedBytes
        self.contentBytes = summary.contentBytes
        self.files = summary.files
        self.directories = summary.directories
        self.symlinks = summary.symlinks
        self.duration = duration
    }
}

/// The entries of an archive, for `archive list`.
public struct ArchiveListing: Sendable, Codable, Equatable {
    /// The archive file.
    public var archive: String
    /// Entry paths, in archive order.
    public var entries: [String]
}

/// Single tarballs outside any cache, for people debugging one: create, extract, list.
public enum ArchiveTool {
    /// Archives `directory` into the file `output` (atomically).
    public static func create(
        directory: String, output: String, options: TarballOptions
    ) async throws(StoreError) -> ArchiveResult {
        let directory = FileSystem.absolute(directory)
        let output = FileSystem.absolute(output)
        guard FileSystem.isDirectory(directory) else {
            throw StoreError(code: .invalidInput, message: "--path \(directory) is not a directory")
        }
        return try await Blocking.run { () throws(StoreError) -> ArchiveResult in
            let stopwatch = Stopwatch()
            do throws(TarballError) {
                let summary = try TarballWriter(options: options).write(directory: directory, to: output)
                return ArchiveResult(archive: output, path: directory, summary: summary, duration: stopwatch.seconds)
            } catch {
                throw StoreError(error, context: "cannot create \(output)")
            }
        }
    }

    /// Replaces `destination` with the content of `archive`, checking `expectedSHA256` when given; `sync: false`
    /// skips the flush before the swap (still atomic, not durable across a machine crash).
    public static func extract(
        archive: String, into destination: String, expectedSHA256: String?, sync: Bool = false
    ) async throws(StoreError) -> ArchiveResult {
        let archive = try existingArchive(archive)
        let destination = FileSystem.absolute(destination)
        return try await Blocking.run { () throws(StoreError) -> ArchiveResult in
            let stopwatch = Stopwatch()
            do throws(TarballError) {
                let summary = try TarballReader(syncBeforeSwap: sync).extract(
                    archive: archive, into: destination, expectedSHA256: expectedSHA256)
                return ArchiveResult(archive: archive, path: destination, summary: summary, duration: stopwatch.seconds)
            } catch {
                throw StoreError(error, context: "cannot extract \(archive)")
            }
        }
    }

    /// The entry paths of `archive`.
    public static func list(archive: String) async throws(StoreError) -> ArchiveListing {
        let archive = try existingArchive(archive)
        return try await Blocking.run { () throws(StoreError) -> ArchiveListing in
            do throws(TarballError) {
                return ArchiveListing(archive: archive, entries: try TarballReader().list(archive: archive))
            } catch {
                throw StoreError(error, context: "cannot list \(archive)")
            }
        }
    }

    private static func existingArchive(_ path: String) throws(StoreError) -> String {
        let path = FileSystem.absolute(path)
        guard FileSystem.fileSize(path) != nil else {
            throw StoreError(code: .notFound, message: "--archive \(path) does not exist or is not a file")
        }
        return path
    }
}
