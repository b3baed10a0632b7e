import Foundation

extension CacheCoordinator {
    /// Restores the storage directory: the primary store first, then (on a miss, a damaged entry or a failing
    /// primary) the S3 copy, which then warms the primary under the key. With `lookupOnly` nothing is restored:
    /// the report says where the tree would come from.
    ///
    /// Freshness (``CacheSettings/restoreOrder``): S3 goes first under `s3-first`, or when S3's manifest head
    /// names a newer generation than the primary match records (always checked under `newest`, for restore-key
    /// matches under `primary-first`). The report's ``CacheRestoreReport/sourceReason`` says why; the generation
    /// restored becomes ``baseGeneration``, the condition of the next ``save()``.
    ///
    /// S3 trouble during a restore is a warning in the report, never an error. Throws only for bad keys and for a
    /// failing primary store when there is no S3 copy to fall back on.
    public func restore() async throws(StoreError) -> CacheRestoreReport {
        let clock = Stopwatch()
        try CacheKey.validate(settings.key, name: "key")
        for restoreKey in settings.restoreKeys { try CacheKey.validate(restoreKey, name: "restore-keys") }
        if let skipped = restoreSkippedByMode() { return skipped }
        var report = CacheRestoreReport(
            outcome: .miss, source: .none, key: settings.key, destination: settings.storagePath,
            lookupOnly: settings.lookupOnly, primaryStore: primary?.name)
        // Freshness: which store goes first (restore-order, S3's manifest head); see CacheCoordinator+Freshness.
        let decision = await freshnessDecision(into: &report)
        if decision.s3First, let s3,
            try await restoreS3(s3, into: &report, replaceStaleEntry: decision.replaceStaleEntry)
        {
            report.duration = clock.seconds
            finishFreshness(&report, decision: decision)
            return report
        }

        if let primary, !decision.primaryDone {
            do {
                if try await restorePrimary(primary, into: &report, found: decision.primaryHit) {
                    report.duration = clock.seconds
                    finishFreshness(&report, decision: decision)
                    return report
                }
            } catch {
                // A denied Actions cache read (`cache read denied:`, a refused URL) is a warning and a miss, as in
                // @actions/cache 6.2.
                let readDenied = error.code == .accessDenied && primary is GitHubActionsCacheStore
                guard s3 != nil || readDenied else { throw error }
                report.warnings.append(
                    "the \(primary.name) cache failed (\(error.message)); " + (s3 != nil ? "trying S3" : "a miss"))
            }
        }
        if let s3, !decision.s3First {
            if try await restoreS3(s3, into: &report) {
                report.duration = clock.seconds
                finishFreshness(&report, decision: decision)
                return report
            }
            if report.outcome == .corrupted { report.outcome = .miss }
        }
        if report.outcome == .miss && !settings.lookupOnly && !FileSystem.isDirectory(settings.storagePath) {
            do {
                try FileSystem.makeDirectories(settings.storagePath)
            } catch {
                report.warnings.append("cannot create the empty storage directory: \(error.message)")
            }
        }
        report.duration = clock.seconds
        finishFreshness(&report, decision: decision)
        return report
    }

    /// Restores (or looks up) from the primary store; `true` on a hit.
    /// `found` is the freshness lookup's hit, reused by a lookup-only restore instead of a second lookup.
    private func restorePrimary(
        _ primary: any TarballStore, into report: inout CacheRestoreReport, found known: LookupResult?
    ) async throws(StoreError) -> Bool {
        if settings.lookupOnly {
            let found: LookupResult
            if let known {
                found = known
            } else {
                found = try await primary.lookup(key: settings.key, restoreKeys: settings.restoreKeys)
            }
            report.primaryOutcome = found.outcome
            switch found.outcome {
            case .hit:
                report.primaryHit(matchedKey: found.matchedKey, exactMatch: found.exactMatch)
                report.bytes = found.bytes
                report.files = found.files
                return true
            case .corrupted:
                report.outcome = .corrupted
                report.message = found.message
                report.warnings.append(found.message ?? "the matching \(primary.name) cache entry was damaged")
            case .miss:
                if let message = found.message { report.notices.append(message) }
            }
            return false
        }
        let restored = try await primary.restore(
            key: settings.key, restoreKeys: settings.restoreKeys, into: settings.storagePath,
            keepExcluded: settings.tarball.excludes, progress: nil)
        report.primaryOutcome = restored.outcome
        switch restored.outcome {
        case .hit:
            report.primaryHit(matchedKey: restored.matchedKey, exactMatch: restored.exactMatch)
            report.bytes = restored.bytes
            report.contentBytes = restored.contentBytes
            report.files = restored.files
            report.directories = restored.directories
            report.symlinks = restored.symlinks
            return true
        case .corrupted:
            report.outcome = .corrupted
            report.message = restored.message
            report.warnings.append(
                (restored.message ?? "the matching \(primary.name) cache entry was damaged") + "; it was removed")
        case .miss:
            if let message = restored.message { report.notices.append(message) }
        }
        return false
    }

    /// Pulls (or looks up) the S3 copy; `true` when it had a tree. Failures become warnings.
    private func restoreS3(
        _ s3: S3Backup, into report: inout CacheRestoreReport, replaceStaleEntry: Bool = false
    ) async throws(StoreError) -> Bool {
        let engine = s3.makeEngine()
        let location = s3.locationDescription
        if settings.lookupOnly {
            do {
                guard let remote = try await engine.readManifest() else {
                    report.s3Outcome = "miss"
                    return false
                }
                report.s3Hit(location: location)
                report.generation = remote.manifest.generation
                report.files = remote.manifest.files.filter { $0.kind == .file }.count
                report.contentBytes = remote.manifest.totalBytes
                return true
            } catch {
                report.s3Outcome = "error"
                report.warnings.append("S3 lookup at \(location) failed: \(error.message)")
                return false
            }
        }
        let pulled: PullResult
        do {
            pulled = try await engine.pull(into: settings.storagePath)
        } catch {
            report.s3Outcome = "error"
            report.warnings.append("S3 restore from \(location) failed: \(error.message)")
            return false
        }
        report.warnings += pulled.warnings
        guard pulled.source != .none else {
            report.s3Outcome = "miss"
            return false
        }
        report.s3Hit(location: location)
        report.files = pulled.files
        report.bytes = pulled.bytes
        report.contentBytes = pulled.bytes
        report.message = nil
        report.generation = pulled.generation
        if let primary {
            await warm(primary, report: &report, generation: pulled.generation, replace: replaceStaleEntry)
        }
        return true
    }

    /// Saves the tree S3 restored into the primary store under the key, so the next restore is a primary hit,
    /// stamped with the generation pulled; `replace` overwrites an older entry under the key.
    private func warm(
        _ primary: any TarballStore, report: inout CacheRestoreReport, generation: Int?, replace: Bool
    ) async {
        guard settings.cacheMode.allowsWrite else { return }  // `read` writes nothing anywhere
        do {
            var options = SaveOptions(tarball: settings.tarball, overwrite: settings.overwrite || replace)
            if let generation { options.metadata = GenerationStamp(generation: generation).metadata }
            let saved = try await primary.save(
                directory: settings.storagePath, key: settings.key, options: options)
            report.primaryWarmed = saved.outcome == .saved || saved.outcome == .overwritten
            if saved.outcome == .skipped, let message = saved.message { report.notices.append(message) }
        } catch {
            report.warnings.append("could not warm the \(primary.name) cache with the S3 copy: \(error.message)")
        }
    }
}

extension CacheRestoreReport {
    fileprivate mutating func primaryHit(matchedKey: String?, exactMatch: Bool) {
        outcome = .hit
        source = .primary
        self.matchedKey = matchedKey
        self.exactMatch = exactMatch
    }

    fileprivate mutating func s3Hit(location: String) {
        s3Outcome = "hit"
        outcome = .hit
        source = .s3
        matchedKey = location
        exactMatch = true
    }
}
