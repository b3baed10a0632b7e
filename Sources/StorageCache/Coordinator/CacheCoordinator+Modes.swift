extension CacheCoordinator {
    /// The report of a restore that `cache-mode` forbids (`write-only`, `off`), made without a request; `nil`
    /// when restores may read. `write-only` leaves the directory as a miss does (created empty when missing).
    func restoreSkippedByMode() -> CacheRestoreReport? {
        guard !settings.cacheMode.allowsRead else { return nil }
        var report = CacheRestoreReport(
            outcome: .miss, source: .none, key: settings.key, destination: settings.storagePath,
            lookupOnly: settings.lookupOnly, primaryStore: primary?.name)
        report.skippedByMode = true
        if s3 != nil { report.s3Outcome = "skipped" }
        report.notices.append("restore skipped: cache-mode is \(settings.cacheMode.rawValue); no store was read")
        if settings.cacheMode == .writeOnly && !settings.lookupOnly && !FileSystem.isDirectory(settings.storagePath) {
            do {
                try FileSystem.makeDirectories(settings.storagePath)
            } catch {
                report.warnings.append("cannot create the empty storage directory: \(error.message)")
            }
        }
        return report
    }

    /// The report of a save that `cache-mode` forbids (`read`, `off`), made without a request (no cache entry, no
    /// S3 object, no pending record); `nil` when saves may write.
    func saveSkippedByMode() -> CacheSaveReport? {
        guard !settings.cacheMode.allowsWrite else { return nil }
        var report = CacheSaveReport(key: settings.key, source: settings.storagePath, primaryStore: primary?.name)
        report.notices.append("save skipped: cache-mode is \(settings.cacheMode.rawValue); nothing was written")
        return report
    }
}
