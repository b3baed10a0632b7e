import Foundation
import Logging
import Tarball

/// The logic behind `storage-cache restore|save` (and the action's main and post steps): inputs → coordinator →
/// report on the runner or the terminal. The executable only parses flags into these.
public enum CoordinatorCommands {
    /// `storage-cache restore` (the action's `main` step and `restore/`).
    public struct Restore: Sendable {
        public var flags: CacheSettingsFlags
        public var syncFlags: SyncSettingsFlags
        public var syncRestoredTree: Bool
        public var environment: [String: String]

        public init(
            flags: CacheSettingsFlags, syncFlags: SyncSettingsFlags, syncRestoredTree: Bool = false,
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) {
            self.flags = flags
            self.syncFlags = syncFlags
            self.syncRestoredTree = syncRestoredTree
            self.environment = environment
        }

        public func run(_ reporter: StepReporter, logger: Logger) async -> ExitStatus {
            await CoordinatorCommands.run(reporter, logger: logger, environment: environment) {
                () throws(InputError) in
                try CacheSettings.resolve(
                    flags: flags, syncFlags: syncFlags, syncRestoredTree: syncRestoredTree, environment: environment)
            } body: { (settings, coordinator) throws(StoreError) in
                try await body(reporter, settings: settings, coordinator: coordinator)
            }
        }

        private func body(_ reporter: StepReporter, settings: CacheSettings, coordinator: CacheCoordinator)
            async throws(StoreError) -> ExitStatus
        {
            // The save step finds the key even when it is computed (the default) or the inputs change.
            try reporter.runner.saveState([("key", settings.key), ("storage-path", settings.storagePath)])
            let report = try await reporter.group("Restore '\(settings.key)' into \(settings.storagePath)") {
                () throws(StoreError) in try await coordinator.restore()
            }
            for notice in report.notices { reporter.notice(notice) }
            for warning in report.warnings { reporter.warn(warning) }
            reporter.emit(report, line: report.summaryLine(s3: coordinator.s3?.locationDescription))
            try reporter.runner.setOutputs(StepReporter.outputs(for: report))
            try reporter.runner.saveState([
                ("cache-matched-key", report.matchedKey ?? ""), ("cache-hit", report.cacheHit ? "true" : "false"),
                // The save step pushes conditionally on the generation this tree was built on (freshness).
                ("s3-generation", coordinator.baseGeneration.current.map(String.init) ?? ""),
            ])
            try reporter.runner.appendSummary(StepReporter.summary(for: report))
            switch report.outcome {
            case .hit:
                return .success
            case .miss:
                guard settings.failOnCacheMiss else { return .success }
                reporter.error("cache miss for '\(settings.key)' and fail-on-cache-miss is set")
                return .notFound
            case .corrupted:
                if settings.failOnCacheMiss {
                    reporter.error("the matching cache entry was damaged and fail-on-cache-miss is set")
                    return .notFound
                }
                // On a runner a damaged entry is a miss (warned about above); a terminal gets exit 5.
                if reporter.runner.isActions { return .success }
                reporter.error("the matching cache entry was damaged and has been removed")
                return .dataIntegrity
            }
        }
    }

    /// `storage-cache save` (the action's `post` step and `save/`).
    public struct Save: Sendable {
        public var flags: CacheSettingsFlags
        public var syncFlags: SyncSettingsFlags
        public var tarball: TarballOptions
        public var overwrite: Bool
        public var eviction: EvictionPolicy
        /// `--s3-base-generation`: the S3 generation the saved tree was built on (wins over the input).
        public var baseGeneration: String?
        public var environment: [String: String]

        public init(
            flags: CacheSettingsFlags, syncFlags: SyncSettingsFlags, tarball: TarballOptions, overwrite: Bool,
            eviction: EvictionPolicy, baseGeneration: String? = nil,
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) {
            self.flags = flags
            self.syncFlags = syncFlags
            self.tarball = tarball
            self.overwrite = overwrite
            self.eviction = eviction
            self.baseGeneration = baseGeneration
            self.environment = environment
        }

        public func run(_ reporter: StepReporter, logger: Logger) async -> ExitStatus {
            await CoordinatorCommands.run(reporter, logger: logger, environment: environment) {
                () throws(InputError) in
                try CacheSettings.resolve(
                    flags: flags, syncFlags: syncFlags, tarball: tarball, overwrite: overwrite, eviction: eviction,
                    environment: environment)
            } body: { (settings, coordinator) throws(StoreError) in
                try await body(reporter, settings: settings, coordinator: coordinator)
            }
        }

        private func body(_ reporter: StepReporter, settings: CacheSettings, coordinator: CacheCoordinator)
            async throws(StoreError) -> ExitStatus
        {
            // The generation the restore step left (freshness: the push is conditional on it).
            do {
                coordinator.baseGeneration.set(
                    try BaseGeneration.resolve(flag: baseGeneration, environment: environment))
            } catch {
                throw StoreError(error)
            }
            let report: CacheSaveReport
            do {
                report = try await reporter.group("Save \(settings.storagePath) as '\(settings.key)'") {
                    () throws(StoreError) in try await coordinator.save()
                }
            } catch {
                try? reporter.runner.appendSummary("### storage-cache save\n\nfailed: \(error.message)\n\n")
                throw error
            }
            for notice in report.notices { reporter.notice(notice) }
            for warning in report.warnings { reporter.warn(warning) }
            reporter.emit(report, line: report.summaryLine)
            try reporter.runner.appendSummary(StepReporter.summary(for: report))
            return .success
        }
    }

    /// Runs `body` under `reporter` with the settings `resolve` gives and their coordinator; an input error becomes
    /// a store error (exit 2).
    private static func run(
        _ reporter: StepReporter, logger: Logger, environment: [String: String],
        _ resolve: () throws(InputError) -> CacheSettings,
        body: (CacheSettings, CacheCoordinator) async throws(StoreError) -> ExitStatus
    ) async -> ExitStatus {
        await reporter.run { () throws(StoreError) in
            let (settings, coordinator) = try make(logger: logger, environment: environment, resolve)
            return try await body(settings, coordinator)
        }
    }

    /// Resolves settings and builds their coordinator; an input error becomes a store error (exit 2).
    static func make(
        logger: Logger, environment: [String: String], _ resolve: () throws(InputError) -> CacheSettings
    ) throws(StoreError) -> (CacheSettings, CacheCoordinator) {
        do {
            let settings = try resolve()
            return (settings, try CacheCoordinator(settings: settings, environment: environment, logger: logger))
        } catch {
            throw StoreError(error)
        }
    }
}
