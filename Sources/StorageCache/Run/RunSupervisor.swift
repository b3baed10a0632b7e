import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bot host mode: restore the storage directory, start the child, save every `syncInterval` while it runs
/// (only when a metadata scan shows a change), forward SIGTERM, SIGINT and SIGHUP to it, save once more when it
/// exits, and report its exit status.
///
/// A stop signal (SIGTERM, SIGINT) starts the shutdown clock: the child gets the signal, then SIGKILL after
/// `killAfter` seconds, and the final save must finish within `shutdownTimeout` seconds of the signal (of the
/// child's own exit otherwise). A failed periodic save is a warning; the child keeps running.
///
/// With a ``HostLease`` the lease is taken before the restore, renewed while the child runs, and released at the
/// end; saves go through a ``LeasedSynchronizer``. A lost lease stops the child (as a stop signal would), skips
/// every save after it, and `run()` throws ``RunError/Code/leaseLost``.
public final class RunSupervisor: Sendable {
    /// What restores and saves (wrapped in a ``LeasedSynchronizer`` with a lease).
    public let synchronizer: any StateSynchronizer
    /// How the child is supervised.
    public let options: RunOptions
    /// The host lease, when one is taken.
    public let lease: HostLease?
    let logger: Logger
    private let lastGeneration = Mutex<Int?>(nil)

    public init(synchronizer: any StateSynchronizer, options: RunOptions, logger: Logger, lease: HostLease? = nil) {
        self.synchronizer = lease.map { LeasedSynchronizer(inner: synchronizer, lease: $0) } ?? synchronizer
        self.options = options
        self.lease = lease
        self.logger = logger
    }

    /// Runs the whole session and returns the exit status: the child's, or 128 + the signal that killed it.
    /// Throws when the state cannot be restored or the child cannot be started (nothing runs then), when another
    /// host holds the lease (``RunError/Code/leaseHeld``), and when the lease was lost (``RunError/Code/leaseLost``).
    public func run() async throws(RunError) -> Int32 {
        let stop = StopController(killAfter: options.killAfter, logger: logger)
        let renewal = try await takeLease(stop: stop)
        let restored: RunRestoreReport
        do {
            restored = try await synchronizer.restore()
        } catch {
            await endLease(renewal)
            throw RunError(
                .restoreFailed, "cannot restore the storage directory, so the command was not started: \(error)")
        }
        logger.notice("restored from \(restored.source): \(restored.files) files")
        if let reason = lease?.lostReason {
            await endLease(renewal)
            throw RunError(
                .leaseLost, "lost the host lease during the restore (\(reason)); the command was not started")
        }

        let watcher = SignalWatcher([SIGTERM, SIGINT, SIGHUP]) { signal in stop.received(signal) }
        defer { watcher.stop() }
        let child: SupervisedChild
        do {
            child = try SupervisedChild.spawn(options.command)
        } catch {
            await endLease(renewal)
            throw error
        }
        stop.attach(child)
        logger.notice("child started pid \(child.pid): \(options.command.joined(separator: " "))")

        let periodic = Task { await self.syncPeriodically(stop: stop) }
        let termination = await child.wait()
        logger.notice("child pid \(child.pid) \(termination)")
        periodic.cancel()
        let deadline = (stop.stopRequestedAt ?? .now) + .milliseconds(Int64(options.shutdownTimeout * 1000))
        await finalSave(after: periodic, deadline: deadline)
        if let lease, let reason = lease.lostReason {
            renewal?.cancel()
            throw RunError(
                .leaseLost,
                "lost the host lease \(lease.location) while the command ran (\(reason)); the command was stopped "
                    + "and nothing was saved after that (the command \(termination))")
        }
        await endLease(renewal)
        logger.notice("exit code \(termination.exitStatus)")
        return termination.exitStatus
    }

    /// Takes the lease (waiting as configured) and starts renewing it; a loss stops the child.
    private func takeLease(stop: StopController) async throws(RunError) -> Task<Void, Never>? {
        guard let lease else { return nil }
        _ = try await lease.acquire()
        let logger = self.logger
        let every = lease.settings.renewalInterval(syncInterval: options.syncInterval)
        return lease.keepRenewing(every: every) { reason in
            logger.error("lost the host lease \(lease.location): \(reason); stopping the command, no more saves")
            stop.requestStop(because: "the host lease was lost")
        }
    }

    /// Stops renewing and releases the lease.
    private func endLease(_ renewal: Task<Void, Never>?) async {
        renewal?.cancel()
        await lease?.release()
    }

    private func syncPeriodically(stop: StopController) async {
        guard options.syncInterval > 0 else { return }
        let interval = Duration.milliseconds(Int64(options.syncInterval * 1000))
        while true {
            do { try await Task.sleep(for: interval) } catch { return }
            if Task.isCancelled || stop.stopRequestedAt != nil { return }
            guard await synchronizer.hasChanges() else {
                logger.debug("periodic sync: nothing changed")
                continue
            }
            do {
                let started = Self.unixTime()
                let report = try await synchronizer.save(final: false)
                log(report, as: "synced", started: started)
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "periodic sync failed (the command keeps running; next try in \(format(options.syncInterval))): \(error)"
                )
            }
        }
    }

    /// Waits for an in-flight periodic save (cancelled), then saves once more, all before `deadline`.
    private func finalSave(after periodic: Task<Void, Never>, deadline: ContinuousClock.Instant) async {
        let synchronizer = self.synchronizer
        let lease = self.lease
        let work = Task { () -> FinalOutcome in
            await periodic.value
            if let reason = lease?.lostReason { return .skipped(reason) }
            guard await synchronizer.hasChanges() else { return .unchanged }
            do {
                let started = Self.unixTime()
                return .saved(try await synchronizer.save(final: true), started: started)
            } catch {
                return .failed("\(error)")
            }
        }
        let outcome = await Self.first(work, deadline: deadline)
        switch outcome {
        case .saved(let report, let started): log(report, as: "final save: synced", started: started)
        case .unchanged:
            let generation = lastGeneration.withLock { $0 }
            let since = generation.map { "generation \($0)" } ?? "the restore"
            logger.notice("final save: nothing changed since \(since)")
        case .failed(let message): logger.error("final save failed: \(message)")
        case .skipped(let reason): logger.error("final save skipped: this host lost the host lease (\(reason))")
        case .timedOut:
            work.cancel()
            let timeout = format(options.shutdownTimeout)
            logger.error(
                "final save did not finish within the shutdown timeout (\(timeout)); exiting without it (the last synced generation stays current)"
            )
        }
    }

    /// Logs a finished save. The line ends with `sync_started=<unix seconds>`, when the save began (before its
    /// scan and capture), so a caller can tell which writes the synced generation holds at least.
    private func log(_ report: RunSaveReport, as verb: String, started: Double) {
        for warning in report.warnings { logger.warning("\(warning)") }
        if let skipped = report.skipped {
            logger.debug("\(verb) skipped: \(skipped)")
            return
        }
        if let generation = report.generation { lastGeneration.withLock { $0 = generation } }
        let generation = report.generation.map(String.init) ?? "?"
        let metadata: Logger.Metadata = ["sync_started": "\(started)"]
        if report.committed {
            logger.notice("\(verb) generation \(generation) (\(report.files) files)", metadata: metadata)
        } else {
            logger.notice(
                "\(verb) nothing new: generation \(generation) is current (\(report.files) files)", metadata: metadata)
        }
    }

    /// Seconds since 1970 (CLOCK_REALTIME), as writers stamp their commits.
    static func unixTime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }

    enum FinalOutcome: Sendable {
        case saved(RunSaveReport, started: Double)
        case unchanged
        case failed(String)
        case skipped(String)
        case timedOut
    }

    /// The outcome of `work`, or `.timedOut` at `deadline` (without waiting for `work` to notice).
    static func first(_ work: Task<FinalOutcome, Never>, deadline: ContinuousClock.Instant) async -> FinalOutcome {
        let once = ResumeOnce()
        return await withCheckedContinuation { continuation in
            once.set(continuation)
            Task { once.resume(await work.value) }
            Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                once.resume(.timedOut)
            }
        }
    }

    /// Resumes a continuation with the first outcome given.
    final class ResumeOnce: Sendable {
        private let pending = Mutex<CheckedContinuation<FinalOutcome, Never>?>(nil)

        func set(_ continuation: CheckedContinuation<FinalOutcome, Never>) { pending.withLock { $0 = continuation } }

        func resume(_ outcome: FinalOutcome) {
            let continuation = pending.withLock { pending in
                defer { pending = nil }
                return pending
            }
            continuation?.resume(returning: outcome)
        }
    }
}

/// Forwards signals to the child and runs the stop sequence: the first SIGTERM or SIGINT starts the shutdown
/// clock and arms SIGKILL after `killAfter` seconds; SIGHUP and later signals are only forwarded.
final class StopController: Sendable {
    private struct State {
        var child: SupervisedChild?
        var pending: [Int32] = []
        var stopRequestedAt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let killAfter: Double
    private let logger: Logger

    init(killAfter: Double, logger: Logger) {
        self.killAfter = killAfter
        self.logger = logger
    }

    /// When the first stop signal arrived.
    var stopRequestedAt: ContinuousClock.Instant? { state.withLock { $0.stopRequestedAt } }

    /// Starts forwarding to `child`, first the signals that arrived before it existed.
    func attach(_ child: SupervisedChild) {
        let pending = state.withLock { state in
            state.child = child
            defer { state.pending = [] }
            return state.pending
        }
        for signal in pending { forward(signal, to: child) }
        if !pending.isEmpty && pending.contains(where: { $0 == SIGTERM || $0 == SIGINT }) { armKill(child) }
    }

    func received(_ signal: Int32) {
        let (child, first) = state.withLock { state -> (SupervisedChild?, Bool) in
            let isStop = signal == SIGTERM || signal == SIGINT
            let first = isStop && state.stopRequestedAt == nil
            if first { state.stopRequestedAt = .now }
            if state.child == nil { state.pending.append(signal) }
            return (state.child, first)
        }
        guard let child else {
            logger.notice("received \(SignalName.of(signal)) before the command started; forwarding it on start")
            return
        }
        forward(signal, to: child)
        if first { armKill(child) }
    }

    /// Stops the child as a SIGTERM to the supervisor would (SIGTERM now, SIGKILL after `killAfter`), for `reason`.
    func requestStop(because reason: String) {
        let child = state.withLock { state -> SupervisedChild? in
            if state.stopRequestedAt == nil { state.stopRequestedAt = .now }
            if state.child == nil { state.pending.append(SIGTERM) }  // `attach` sends it and arms SIGKILL
            return state.child
        }
        guard let child else { return }
        if child.signal(SIGTERM) { logger.notice("\(reason): sent SIGTERM to child pid \(child.pid)") }
        armKill(child)
    }

    private func forward(_ signal: Int32, to child: SupervisedChild) {
        if child.signal(signal) {
            logger.notice("received \(SignalName.of(signal)); forwarded to child pid \(child.pid)")
        } else {
            logger.notice("received \(SignalName.of(signal)); the child has exited already")
        }
    }

    private func armKill(_ child: SupervisedChild) {
        let logger = self.logger
        let seconds = killAfter
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            guard !child.hasExited else { return }
            logger.warning("child pid \(child.pid) still running \(seconds) s after the stop signal; sending SIGKILL")
            child.signal(SIGKILL)
        }
    }
}
