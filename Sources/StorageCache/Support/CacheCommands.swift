import Tarball

/// The logic behind `storage-cache save|restore|cache …`; the executable only parses arguments into these.
public enum CacheCommands {
    /// `storage-cache save`.
    public struct Save: Sendable {
        public var path: String
        public var key: String
        public var cacheDirectory: String?
        public var overwrite: Bool
        public var tarball: TarballOptions
        public var eviction: EvictionPolicy

        public init(
            path: String, key: String, cacheDirectory: String?, overwrite: Bool, tarball: TarballOptions,
            eviction: EvictionPolicy
        ) {
            self.path = path
            self.key = key
            self.cacheDirectory = cacheDirectory
            self.overwrite = overwrite
            self.tarball = tarball
            self.eviction = eviction
        }

        public func run(_ context: CommandContext) async throws(StoreError) -> ExitStatus {
            try CacheKey.validate(key, name: "--key")
            guard FileSystem.isDirectory(path) else {
                throw StoreError(code: .invalidInput, message: "--path \(path) is not a directory")
            }
            let store = LocalTarballStore(directory: cacheDirectory, eviction: eviction, logger: context.logger)
            context.logger.debug("saving \(path) as '\(key)' in \(store.directory.root)")
            let progress = TerminalProgress(title: "saving '\(key)'", enabled: !context.output.json)
            defer { progress.finish() }
            let result = try await store.save(
                directory: path, key: key,
                options: SaveOptions(tarball: tarball, overwrite: overwrite, progress: progress.handler))
            progress.finish()
            context.output.emit(result, line: result.summaryLine)
            return .success
        }
    }

    /// `storage-cache restore`.
    public struct Restore: Sendable {
        public var path: String
        public var key: String
        public var restoreKeys: [String]
        public var cacheDirectory: String?
        public var failOnCacheMiss: Bool
        public var lookupOnly: Bool
        public var sync: Bool

        public init(
            path: String, key: String, restoreKeys: [String], cacheDirectory: String?, failOnCacheMiss: Bool,
            lookupOnly: Bool, sync: Bool = false
        ) {
            self.path = path
            self.key = key
            self.restoreKeys = CacheKey.splitRestoreKeys(restoreKeys)
            self.cacheDirectory = cacheDirectory
            self.failOnCacheMiss = failOnCacheMiss
            self.lookupOnly = lookupOnly
            self.sync = sync
        }

        public func run(_ context: CommandContext) async throws(StoreError) -> ExitStatus {
            try CacheKey.validate(key, name: "--key")
            for restoreKey in restoreKeys { try CacheKey.validate(restoreKey, name: "--restore-keys") }
            let store = LocalTarballStore(directory: cacheDirectory, syncRestoredTree: sync, logger: context.logger)
            let outcome: CacheOutcome
            if lookupOnly {
                let result = try await store.lookup(key: key, restoreKeys: restoreKeys)
                context.output.emit(result, line: result.summaryLine)
                outcome = result.outcome
            } else {
                let progress = TerminalProgress(title: "restoring '\(key)'", enabled: !context.output.json)
                defer { progress.finish() }
                let result = try await store.restore(
                    key: key, restoreKeys: restoreKeys, into: path, progress: progress.handler)
                progress.finish()
                context.output.emit(result, line: result.summaryLine)
                outcome = result.outcome
            }
            switch outcome {
            case .hit:
                return .success
            case .miss:
                guard failOnCacheMiss else { return .success }
                context.logger.error("cache miss for '\(key)' and --fail-on-cache-miss is set")
                return .notFound
            case .corrupted:
                context.logger.error("the matching cache entry was damaged and has been removed")
                return .dataIntegrity
            }
        }
    }

    /// `storage-cache cache list`.
    public struct List: Sendable {
        public var cacheDirectory: String?

        public init(cacheDirectory: String?) {
            self.cacheDirectory = cacheDirectory
        }

        struct Listing: Encodable {
            var cacheDir: String
            var count: Int
            var totalBytes: Int64
            var entries: [CacheEntry]
        }

        public func run(_ context: CommandContext) async throws(StoreError) -> ExitStatus {
            let store = LocalTarballStore(directory: cacheDirectory, logger: context.logger)
            let entries = try await store.entries().sorted { $0.sequence > $1.sequence }
            let listing = Listing(
                cacheDir: store.directory.root, count: entries.count,
                totalBytes: entries.reduce(0) { $0 + $1.size }, entries: entries)
            context.output.emit(listing, line: Self.table(listing))
            return .success
        }

        private static func table(_ listing: Listing) -> String {
            var lines = [
                "\(listing.cacheDir): \(listing.count) entr\(listing.count == 1 ? "y" : "ies"), "
                    + ByteCount.format(listing.totalBytes)
            ]
            for entry in listing.entries {
                lines.append(
                    "  \(entry.key)  \(ByteCount.format(entry.size))  \(entry.files) files  "
                        + "saved \(entry.createdAt.formatted(.iso8601))  used \(entry.lastUsedAt.formatted(.iso8601))")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// `storage-cache cache prune`.
    public struct Prune: Sendable {
        public var cacheDirectory: String?
        public var eviction: EvictionPolicy

        public init(cacheDirectory: String?, eviction: EvictionPolicy) {
            self.cacheDirectory = cacheDirectory
            self.eviction = eviction
        }

        public func run(_ context: CommandContext) async throws(StoreError) -> ExitStatus {
            let store = LocalTarballStore(directory: cacheDirectory, eviction: eviction, logger: context.logger)
            let result = try await store.prune()
            for removed in result.removed {
                context.logger.info("evicted '\(removed.key)' (\(removed.reason.rawValue))")
            }
            context.output.emit(result, line: result.summaryLine)
            return .success
        }
    }

    /// `storage-cache cache verify`: reads every archive and checks its size and SHA-256 against the index.
    public struct Verify: Sendable {
        public var cacheDirectory: String?

        public init(cacheDirectory: String?) {
            self.cacheDirectory = cacheDirectory
        }

        struct Report: Encodable {
            var cacheDir: String
            var checked: Int
            var damaged: [EntryVerification]
        }

        public func run(_ context: CommandContext) async throws(StoreError) -> ExitStatus {
            let store = LocalTarballStore(directory: cacheDirectory, logger: context.logger)
            let results = try await store.verify()
            let damaged = results.filter { $0.problem != nil }
            let report = Report(cacheDir: store.directory.root, checked: results.count, damaged: damaged)
            var lines = ["verified \(results.count) entr\(results.count == 1 ? "y" : "ies"): \(damaged.count) damaged"]
            lines += damaged.map { "  \($0.key): \($0.problem ?? "")" }
            context.output.emit(report, line: lines.joined(separator: "\n"))
            return damaged.isEmpty ? .success : .dataIntegrity
        }
    }
}
