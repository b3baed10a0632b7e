import Hashing
import Tarball

/// The logic behind `storage-cache archive create|extract|list`.
public enum ArchiveCommands {
    /// `storage-cache archive create --path DIR --output FILE`.
    public struct Create: Sendable {
        public var path: String
        public var output: String
        public var tarball: TarballOptions

        public init(path: String, output: String, tarball: TarballOptions) {
            self.path = path
            self.output = output
            self.tarball = tarball
        }

        public func run(_ context: CommandContext) async throws(StoreError) -> ExitStatus {
            let progress = TerminalProgress(title: "archiving \(path)", enabled: !context.output.json)
            defer { progress.finish() }
            let result = try await ArchiveTool.create(directory: path, output: output, options: tarball)
            progress.finish()
            context.output.emit(result, line: result.summaryLine)
            return .success
        }
    }

    /// `storage-cache archive extract --archive FILE --path DIR [--sha256 HEX]`.
    public struct Extract: Sendable {
        public var archive: String
        public var path: String
        public var sha256: String?
        /// Whether the tree is flushed to disk before the swap (see ``TarballReader/syncBeforeSwap``).
        public var sync: Bool

        public init(archive: String, path: String, sha256: String?, sync: Bool = false) {
            self.archive = archive
            self.path = path
            self.sha256 = sha256
            self.sync = sync
        }

        public func run(_ context: CommandContext) async throws(StoreError) -> ExitStatus {
            if let sha256, sha256.count != 64 || Hex.decode(sha256) == nil {
                throw StoreError(code: .invalidInput, message: "--sha256 must be 64 hex digits")
            }
            let progress = TerminalProgress(title: "extracting \(archive)", enabled: !context.output.json)
            defer { progress.finish() }
            let result = try await ArchiveTool.extract(
                archive: archive, into: path, expectedSHA256: sha256?.lowercased(), sync: sync)
            progress.finish()
            context.output.emit(result, line: result.summaryLine)
            return .success
        }
    }

    /// `storage-cache archive list --archive FILE`.
    public struct List: Sendable {
        public var archive: String

        public init(archive: String) {
            self.archive = archive
        }

        public func run(_ context: CommandContext) async throws(StoreError) -> ExitStatus {
            let listing = try await ArchiveTool.list(archive: archive)
            context.output.emit(listing, line: listing.entries.joined(separator: "\n"))
            return .success
        }
    }
}
