import Foundation

/// What ``CacheCoordinator/freshnessDecision(into:)`` decided before restoring.
struct FreshnessDecision: Sendable {
    /// Restore from S3 before trying the primary.
    var s3First = false
    /// The primary was already consulted (it had no entry, or its matching entry was damaged): go on to S3.
    var primaryDone = false
    /// The primary's exact-key entry is older than S3: warming replaces it.
    var replaceStaleEntry = false
    /// Why (for the report's ``CacheRestoreReport/sourceReason``), `nil` when no choice was made.
    var reason: String?
    /// The primary's hit found by the lookup, so a lookup-only restore does not ask the primary again.
    var primaryHit: LookupResult?
}

extension CacheCoordinator {
    /// Decides which store a restore tries first (``RestoreOrder``). With both a primary and S3: under `s3-first`,
    /// S3; otherwise the primary's match is looked up and, under `newest` or for a restore-key match, S3's manifest
    /// head is read (one request) and S3 goes first when its generation is newer than the entry's stamp
    /// (``GenerationStamp``; an entry without one counts as older than any stored generation). S3 trouble here is
    /// a warning and the primary goes first. Sets the report's reason and generations.
    func freshnessDecision(into report: inout CacheRestoreReport) async -> FreshnessDecision {
        guard let primary, let s3 else { return FreshnessDecision() }
        let order = settings.restoreOrder
        if order == .s3First {
            return FreshnessDecision(s3First: true, reason: "restore-order s3-first")
        }
        let found: LookupResult
        do {
            found = try await primary.lookup(key: settings.key, restoreKeys: settings.restoreKeys)
        } catch {
            return FreshnessDecision()  // the restore reports the failing primary and falls back on S3
        }
        switch found.outcome {
        case .miss:
            // Asked already: the restore goes straight on to S3 instead of asking the primary again.
            report.primaryOutcome = .miss
            if let message = found.message { report.notices.append(message) }
            return FreshnessDecision(primaryDone: true)
        case .corrupted:
            report.primaryOutcome = .corrupted
            report.outcome = .corrupted
            report.message = found.message
            report.warnings.append(found.message ?? "the matching \(primary.name) cache entry was damaged")
            return FreshnessDecision(primaryDone: true)
        case .hit:
            break
        }
        var decision = await decision(afterHit: found, primary: primary, s3: s3, into: &report)
        decision.primaryHit = found
        return decision
    }

    /// The decision once the primary has a hit: compares its stamp with S3's manifest head (unless an exact hit
    /// under `primary-first` makes that unnecessary).
    private func decision(
        afterHit found: LookupResult, primary: any TarballStore, s3: S3Backup, into report: inout CacheRestoreReport
    ) async -> FreshnessDecision {
        let order = settings.restoreOrder
        let stamp = GenerationStamp(metadata: found.metadata)
        report.primaryGeneration = stamp?.generation
        let match = found.exactMatch ? "exact key" : "restore key match '\(found.matchedKey ?? "")'"
        if order == .primaryFirst && found.exactMatch {
            return FreshnessDecision(reason: "primary exact key hit (restore-order primary-first: S3 not asked)")
        }
        let head: ManifestHead?
        do {
            head = try await s3.makeEngine().readHead()
        } catch {
            report.warnings.append(
                "could not read the S3 manifest head at \(s3.locationDescription) (\(error.message)); "
                    + "restoring the \(primary.name) entry")
            return FreshnessDecision(reason: "primary \(match); S3 head unreadable")
        }
        report.s3Generation = head?.generation ?? 0
        guard let head else {
            return FreshnessDecision(reason: "primary \(match); S3 holds nothing")
        }
        if let stamp, stamp.generation >= head.generation {
            return FreshnessDecision(
                reason: "primary \(match) is at S3 generation \(stamp.generation), S3 holds \(head.generation)")
        }
        let entry = stamp.map { "generation \($0.generation)" } ?? "no recorded generation"
        let reason = "S3 generation \(head.generation) is newer than the primary \(match) (\(entry))"
        logger.info("\(reason)")
        return FreshnessDecision(s3First: true, replaceStaleEntry: found.exactMatch, reason: reason)
    }

    /// After a restore: says which store won and why (``CacheRestoreReport/sourceReason``), the generation the
    /// tree corresponds to, and remembers it as the base of the next save (``BaseGeneration``).
    func finishFreshness(_ report: inout CacheRestoreReport, decision: FreshnessDecision) {
        let primaryName = primary?.name ?? "primary"
        switch report.source {
        case .primary:
            let match = report.exactMatch ? "exact key hit" : "restore key match '\(report.matchedKey ?? "")'"
            if decision.s3First {
                let answer = report.s3Outcome == "miss" ? "held nothing" : "failed"
                report.sourceReason = "S3 went first (\(decision.reason ?? "")) but \(answer); \(primaryName) \(match)"
            } else {
                report.sourceReason = decision.reason ?? "\(primaryName) \(match)"
            }
            if report.generation == nil { report.generation = report.primaryGeneration }
        case .s3:
            if decision.s3First, let reason = decision.reason {
                report.sourceReason = reason
            } else if primary == nil {
                report.sourceReason = "S3 only (primary: none)"
            } else {
                report.sourceReason =
                    switch report.primaryOutcome {
                    case .miss?: "the \(primaryName) cache had no entry"
                    case .corrupted?: "the \(primaryName) entry was damaged"
                    default: "the \(primaryName) cache failed"
                    }
            }
        case .none:
            report.sourceReason = "nothing stored"
        }
        logger.info("restore source: \(report.source.rawValue) (\(report.sourceReason ?? ""))")
        guard !settings.lookupOnly, s3 != nil else { return }
        // `0`: S3 was seen to hold nothing (a push then only creates, never replaces).
        switch report.source {
        case .s3: break
        case .primary: report.generation = report.generation ?? (report.s3Generation == 0 ? 0 : nil)
        case .none: report.generation = report.s3Outcome == "miss" ? 0 : nil
        }
        baseGeneration.set(report.generation)
    }
}

extension CacheCoordinator {
    /// The engine for a save's push: conditional on `base` when it is known.
    func conditionalEngine(_ s3: S3Backup, base: Int?) -> SyncEngine {
        let engine = s3.makeEngine()
        guard let base else { return engine }
        return engine.with { $0.expectedBaseGeneration = base }
    }

    /// After a push: its generation is the base of the next save, unless it was refused (the tree is still built
    /// on the old base).
    func rememberPushed(_ pushed: PushResult) {
        guard pushed.conflict == nil, !pushed.dryRun else { return }
        baseGeneration.set(pushed.generation)
    }

    /// The stamp of a primary entry saved beside `push`: the generation the push left current, or `base` when it
    /// failed or was refused (so a later restore prefers S3's newer state).
    func stamp(after push: (CacheSaveReport.S3Part, SyncError?)?, base: Int?) -> [String: String] {
        guard let (part, failure) = push else { return [:] }
        if failure == nil, part.conflict == nil, let generation = part.generation {
            return GenerationStamp(generation: generation).metadata
        }
        return base.map { GenerationStamp(generation: $0).metadata } ?? [:]
    }
}
