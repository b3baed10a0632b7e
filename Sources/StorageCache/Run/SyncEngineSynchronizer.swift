import Foundation
import Synchronization

/// A ``StateSynchronizer`` over S3 alone: restore is a ``SyncEngine`` pull, a save is a push, and the change check
/// compares a ``TreeFingerprint`` with the one taken when the last pull or successful push began.
///
/// A failed push is recorded in the ``PendingQueue`` of `settings` (so `sync --retry-pending` can finish it after a
/// crash); a successful one clears that record.
///
/// Once a push is refused because S3 moved past this host's base generation (another host pushed), every later
/// push would be refused too (the base never moves forward): periodic saves are then skipped without a request
/// (``RunSaveReport/skipped``) instead of writing a `conflicts/` record every interval, and only the final save
/// pushes, so the record S3 keeps is this host's last tree.
public final class SyncEngineSynchronizer: StateSynchronizer {
    /// The engine pushes and pulls go through.
    public let engine: SyncEngine
    /// The storage directory.
    public let directory: String
    /// The settings, for pending records (`nil`: none are written).
    public let settings: SyncSettings?
    private let synced = Mutex<TreeFingerprint?>(nil)
    private let pulled = Mutex<PullResult.Source?>(nil)
    private let conflicted = Mutex<SyncConflict?>(nil)

    /// Whether the last restore found a stored tree (a manifest, or objects to list).
    public var restoredSomething: Bool { pulled.withLock { $0 != nil && $0 != PullResult.Source.none } }

    /// The generation the directory was built on: set by the pull and each push, the condition of the next push.
    public let baseGeneration: BaseGeneration

    public init(
        engine: SyncEngine, directory: String, settings: SyncSettings? = nil,
        baseGeneration: BaseGeneration = BaseGeneration()
    ) {
        self.engine = engine
        self.directory = directory
        self.settings = settings
        self.baseGeneration = baseGeneration
    }

    public func restore() async throws -> RunRestoreReport {
        let result = try await engine.pull(into: directory)
        pulled.withLock { $0 = result.source }
        baseGeneration.set(result.source == .none ? 0 : result.generation)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        synced.withLock { $0 = TreeFingerprint.of(directory) }
        let location = "s3://\(engine.location.bucket)/\(engine.location.root)"
        switch result.source {
        case .none:
            return RunRestoreReport(
                source: "nothing stored at \(location) (starting with \(directory) as it is)", files: 0)
        case .listing:
            return RunRestoreReport(source: "\(location) (no manifest: every stored object)", files: result.files)
        case .snapshot, .objects:
            return RunRestoreReport(
                source: "\(location) (\(result.source.rawValue), generation \(result.generation ?? 0))",
                files: result.files)
        }
    }

    public func save(final: Bool) async throws -> RunSaveReport {
        // Taken before the scan: a write during the push makes the next check see a change.
        let before = TreeFingerprint.of(directory)
        if !final, let conflict = conflicted.withLock({ $0 }) {
            return RunSaveReport(
                generation: conflict.currentGeneration, files: 0, committed: false,
                skipped:
                    "S3 holds generation \(conflict.currentGeneration), newer than generation \(conflict.baseGeneration) this host built on; the final save keeps this host's tree under conflicts/"
            )
        }
        do throws(SyncError) {
            let base = baseGeneration.current
            let result = try await (base.map { base in engine.with { $0.expectedBaseGeneration = base } } ?? engine)
                .push(from: directory)
            if let conflict = result.conflict {
                conflicted.withLock { $0 = conflict }
            } else {
                baseGeneration.set(result.generation)
            }
            synced.withLock { $0 = before }
            clearPending()
            return RunSaveReport(
                generation: result.generation, files: result.files, committed: result.committed,
                warnings: result.warnings)
        } catch {
            recordPending(error)
            throw error
        }
    }

    public func hasChanges() async -> Bool {
        let now = TreeFingerprint.of(directory)
        return synced.withLock { $0 != now }
    }

    private func recordPending(_ error: SyncError) {
        guard let settings, error.code == .s3 || error.code == .accessDenied || error.code == .conflict else { return }
        let queue = PendingQueue(directory: settings.stateDirectory)
        _ = try? queue.record(PendingEntry(failedPush: settings, localPath: directory, error: error.message))
    }

    private func clearPending() {
        guard let settings else { return }
        let queue = PendingQueue(directory: settings.stateDirectory)
        guard FileManager.default.fileExists(atPath: queue.path) else { return }
        let key = PendingEntry(failedPush: settings, localPath: directory, error: "").key
        _ = try? queue.update { entries in entries.removeAll { $0.key == key } }
    }
}
