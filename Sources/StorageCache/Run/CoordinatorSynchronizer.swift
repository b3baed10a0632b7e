import Synchronization

/// A ``StateSynchronizer`` over a ``CacheCoordinator``: the primary tarball cache and the S3 copy, for a host that
/// keeps a local cache as well.
///
/// - restore: with an S3 copy, S3 first (a host killed after periodic syncs left its primary entry older than
///   S3; every primary write is paired with a push of the same tree, so S3 is never older). A failing pull throws,
///   so the command never starts on an empty tree that the next sync would push over the good copy. When S3 holds
///   nothing, the coordinator's restore (primary, restore keys) runs.
/// - periodic save: an S3 push only (incremental); without S3, a primary save.
/// - final save: the coordinator's save (primary ∥ S3) with `overwrite` on, since a host reuses one key.
public final class CoordinatorSynchronizer: StateSynchronizer {
    /// The coordinator, with `overwrite` forced on.
    public let coordinator: CacheCoordinator
    private let synced = Mutex<TreeFingerprint?>(nil)
    private let s3: SyncEngineSynchronizer?

    public init(coordinator: CacheCoordinator) {
        var settings = coordinator.settings
        settings.overwrite = true
        self.coordinator = CacheCoordinator(
            settings: settings, primary: coordinator.primary, s3: coordinator.s3, logger: coordinator.logger)
        let base = self.coordinator.baseGeneration  // one base for the S3-only pushes and the final save
        s3 = coordinator.s3.map {
            SyncEngineSynchronizer(
                engine: $0.makeEngine(), directory: settings.storagePath, settings: $0.settings, baseGeneration: base)
        }
    }

    private var directory: String { coordinator.settings.storagePath }

    public func restore() async throws -> RunRestoreReport {
        if let s3 {
            let report = try await s3.restore()
            if s3.restoredSomething {
                synced.withLock { $0 = TreeFingerprint.of(directory) }
                return report
            }
        }
        let report = try await coordinator.restore()
        synced.withLock { $0 = TreeFingerprint.of(directory) }
        let source: String =
            switch report.source {
            case .primary: "the primary cache (\(report.matchedKey ?? report.key))"
            case .s3: "s3 (\(report.matchedKey ?? ""))"
            case .none: "nothing stored (starting with \(directory) as it is)"
            }
        return RunRestoreReport(source: source, files: report.files)
    }

    public func save(final: Bool) async throws -> RunSaveReport {
        let before = TreeFingerprint.of(directory)
        if !final, let s3 {
            let report = try await s3.save(final: false)
            synced.withLock { $0 = before }
            return report
        }
        let report = try await coordinator.save()
        if report.s3?.outcome != "failed" { synced.withLock { $0 = before } }
        return RunSaveReport(
            generation: report.s3?.generation, files: report.s3?.files ?? report.primary?.files ?? 0,
            committed: report.s3?.outcome == "pushed" || report.primary.map { $0.outcome != .exists } == true,
            warnings: report.warnings)
    }

    public func hasChanges() async -> Bool {
        let now = TreeFingerprint.of(directory)
        return synced.withLock { $0 != now }
    }
}
