import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A lease on one S3 prefix for `storage-cache run`, so that two bot hosts (a rolling deploy, a forgotten
/// instance) never both save one tree.
///
/// - ``acquire()``: a conditional create of the lease object (`If-None-Match: *`). When another host holds it, waits
///   (polling with backoff) up to ``LeaseSettings/wait`` seconds, then throws ``RunError/Code/leaseHeld`` naming
///   the holder and its expiry. A record past its expiry, or released, is taken over with `If-Match` on its ETag,
///   so of several takers only one wins.
/// - ``renew()``: rewrites the record with `If-Match` on the last ETag (``keepRenewing(every:onLost:)`` does it on a
///   timer, ``checkBeforeCommit()`` right before every manifest commit). A 412 from another holder's write, a
///   deleted object, or no successful renewal for a whole TTL means the lease is lost: it stays lost.
/// - ``release()``: overwrites the record as released (`If-Match`), then deletes it with `If-Match` where the server
///   supports conditional deletes; elsewhere the released record stays (deleting it unconditionally could remove
///   a lease another host has just taken).
///
/// Expiry uses wall-clock times in the record: hosts on one prefix need clocks in sync to well within the TTL.
/// Renewals are serialized, so the timer and a commit check never race each other's `If-Match`.
public final class HostLease: ManifestCommitGuard {
    /// Where the lease lives.
    public let store: any LeaseObjectStore
    /// TTL and wait.
    public let settings: LeaseSettings
    /// This host's holder id: `<hostname>-<pid>-<random>`.
    public let holder: String
    private let host: String
    private let now: @Sendable () -> Date
    private let uptime: @Sendable () -> Double
    let logger: Logger
    private let state = Mutex(State())
    private let serial = SerialTasks()

    struct State {
        var record: LeaseRecord?
        var etag: String?
        /// When the last successful write of the record was sent (monotonic).
        var confirmedAt: Double?
        var lost: String?
        var released = false
        var onLost: (@Sendable (String) -> Void)?
    }

    /// - Parameters:
    ///   - now: the wall clock, for the record's times (tests move it).
    ///   - uptime: monotonic seconds, for "no renewal succeeded for a whole TTL" (tests move it).
    public init(
        store: any LeaseObjectStore, settings: LeaseSettings, logger: Logger, holder: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        uptime: (@Sendable () -> Double)? = nil
    ) {
        self.store = store
        self.settings = settings
        self.logger = logger
        host = Self.hostName()
        self.holder = holder ?? Self.makeHolderID(host: host)
        self.now = now
        self.uptime = uptime ?? { (ContinuousClock.now - HostLease.origin).seconds }
    }

    private static let origin = ContinuousClock.now

    /// `s3://bucket/key` of the lease.
    public var location: String { store.location }

    /// Why the lease was lost, `nil` while held (or before it was taken).
    public var lostReason: String? { state.withLock { $0.lost } }

    /// Whether this host holds the lease: taken, not lost, not released.
    public var isHeld: Bool { state.withLock { $0.etag != nil && $0.lost == nil && !$0.released } }

    /// The record as last written by this host.
    public var record: LeaseRecord? { state.withLock { $0.record } }

    // MARK: Acquire

    /// What ``acquire()`` did.
    public struct Acquisition: Sendable, Equatable {
        /// The expired or released record taken over, `nil` for a fresh create.
        public var previous: LeaseRecord?
        /// The record now held.
        public var record: LeaseRecord
        /// Seconds spent waiting for another holder.
        public var waited: Double
    }

    private enum Step {
        case held(Acquisition)
        case busy(LeaseRecord)
        case again
    }

    /// Takes the lease, waiting up to ``LeaseSettings/wait`` seconds for another holder to release it or let it
    /// expire. Throws ``RunError/Code/leaseHeld`` (exit 75) naming the holder when it is still held then, and
    /// ``RunError/Code/leaseFailed`` when the store fails.
    public func acquire() async throws(RunError) -> Acquisition {
        let clock = ContinuousClock()
        let started = clock.now
        var delay = 0.25
        var announced: String?
        while true {
            let waited = (clock.now - started).seconds
            let step: Step
            do throws(LeaseStoreError) {
                step = try await attempt(waited: waited)
            } catch {
                throw RunError(
                    error.accessDenied ? .leaseDenied : .leaseFailed, "cannot take the host lease: \(error.message)")
            }
            switch step {
            case .held(let acquisition):
                return acquisition
            case .again:
                continue
            case .busy(let theirs):
                if waited >= settings.wait {
                    throw RunError(.leaseHeld, heldMessage(theirs, waited: waited))
                }
                if announced != theirs.holder {
                    announced = theirs.holder
                    logger.notice(
                        "the host lease \(location) is held by \(theirs.holderDescription) until \(LeaseRecord.format(theirs.expiresAt)); waiting up to \(AgeLimit.format(settings.wait)) for it"
                    )
                }
                let untilExpiry = theirs.expiresAt.timeIntervalSince(now()) + 0.05
                let pause = max(0.05, min(delay, settings.wait - waited, untilExpiry))
                do {
                    try await Task.sleep(for: .milliseconds(Int64(pause * 1000)))
                } catch {
                    throw RunError(.leaseHeld, heldMessage(theirs, waited: (clock.now - started).seconds))
                }
                delay = min(delay * 2, 5)
            }
        }
    }

    private func heldMessage(_ theirs: LeaseRecord, waited: Double) -> String {
        let waitedText = settings.wait > 0 ? "after waiting \(AgeLimit.format(waited))" : "lease-wait is 0"
        return "the host lease \(location) is held by \(theirs.holderDescription) until "
            + "\(LeaseRecord.format(theirs.expiresAt)) (renewed \(LeaseRecord.format(theirs.renewedAt))): another "
            + "storage-cache run saves this prefix; not starting (\(waitedText)). Stop that host, or raise lease-wait"
    }

    /// One try: create, or take over a free record; `.busy` with the holder's record otherwise.
    private func attempt(waited: Double) async throws(LeaseStoreError) -> Step {
        let mine = freshRecord()
        let sent = uptime()
        if let etag = try await store.create(try encode(mine)) {
            hold(mine, etag: etag, at: sent)
            logger.notice(
                "took the host lease \(location) as \(holder) (expires \(LeaseRecord.format(mine.expiresAt)))")
            return .held(Acquisition(previous: nil, record: mine, waited: waited))
        }
        guard let current = try await store.read() else { return .again }  // released and deleted meanwhile
        let theirs: LeaseRecord
        do {
            theirs = try LeaseRecord.decode(current.bytes)
        } catch {
            // Not ours to judge: it may be a newer layout. It expires like any other only by being replaced.
            throw LeaseStoreError("\(location) holds no lease record this version understands (\(error))")
        }
        if theirs.holder == holder && !theirs.released {
            // This host's own create, whose answer was lost (an SSE-KMS write the client could not compare).
            hold(theirs, etag: current.etag, at: sent)
            return .held(Acquisition(previous: nil, record: theirs, waited: waited))
        }
        guard theirs.isFree(at: now()) else { return .busy(theirs) }
        let taker = freshRecord()
        let takeSent = uptime()
        switch try await store.replace(try encode(taker), ifMatch: current.etag) {
        case .written(let etag):
            hold(taker, etag: etag, at: takeSent)
            let why = theirs.released ? "released" : "expired \(LeaseRecord.format(theirs.expiresAt))"
            logger.notice(
                "took over the host lease \(location) from \(theirs.holderDescription) (\(why)) as \(holder)")
            return .held(Acquisition(previous: theirs, record: taker, waited: waited))
        case .conflict, .missing:
            return .again  // another taker won, or the holder renewed just in time
        }
    }

    private func freshRecord() -> LeaseRecord {
        let at = now()
        return LeaseRecord(
            holder: holder, host: host, pid: getpid(), acquiredAt: at, renewedAt: at, ttlSeconds: settings.ttl)
    }

    private func hold(_ record: LeaseRecord, etag: String, at sent: Double) {
        state.withLock { state in
            state.record = record
            state.etag = etag
            state.confirmedAt = sent
            state.lost = nil
            state.released = false
        }
    }

    // MARK: Renew

    /// What a renewal found.
    public enum Renewal: Sendable, Equatable {
        /// Still held, valid for another TTL.
        case renewed
        /// Lost for good (the reason).
        case lost(String)
        /// The request failed; still held until a TTL after the last renewal (the error).
        case failed(String)
    }

    /// Rewrites the record with `If-Match` on the last ETag (after any renewal in flight).
    @discardableResult
    public func renew() async -> Renewal {
        await serial.run { await self.renewNow() }
    }

    private func renewNow() async -> Renewal {
        let (record, etag, lost, released, confirmedAt) = state.withLock {
            ($0.record, $0.etag, $0.lost, $0.released, $0.confirmedAt)
        }
        if let lost { return .lost(lost) }
        guard let record, var etag, !released else { return .lost("the lease is not held") }
        let sent = uptime()
        let next = record.renewed(at: now())
        do throws(LeaseStoreError) {
            for _ in 0..<2 {
                switch try await store.replace(try encode(next), ifMatch: etag) {
                case .written(let newTag):
                    state.withLock { state in
                        state.record = next
                        state.etag = newTag
                        state.confirmedAt = sent
                    }
                    return .renewed
                case .missing:
                    return markLost("the lease object \(location) was deleted")
                case .conflict:
                    // Our own earlier write (a retried request whose answer was lost) or another host's.
                    guard let current = try await store.read() else {
                        return markLost("the lease object \(location) was deleted")
                    }
                    guard let theirs = try? LeaseRecord.decode(current.bytes), theirs.holder == holder,
                        !theirs.released
                    else {
                        let by =
                            (try? LeaseRecord.decode(current.bytes)).map { $0.holderDescription } ?? "another writer"
                        return markLost("taken over by \(by)")
                    }
                    etag = current.etag
                    state.withLock { $0.etag = current.etag }
                }
            }
            return .failed("the lease object kept changing under this host's own writes")
        } catch {
            let expired = confirmedAt.map { uptime() - $0 >= settings.ttl }
            if expired ?? true {
                return markLost(
                    "no renewal succeeded for a whole TTL (\(AgeLimit.format(settings.ttl))); last error: \(error.message)"
                )
            }
            return .failed(error.message)
        }
    }

    private func markLost(_ reason: String) -> Renewal {
        let handler = state.withLock { state -> (@Sendable (String) -> Void)? in
            guard state.lost == nil else { return nil }
            state.lost = reason
            return state.onLost
        }
        handler?(reason)
        return .lost(reason)
    }

    /// Renews every `seconds` until cancelled or lost; `onLost` runs once, when the lease is lost (by this loop or
    /// by a commit check). A failed renewal is a warning.
    public func keepRenewing(every seconds: Double, onLost: @escaping @Sendable (String) -> Void) -> Task<Void, Never> {
        let already = state.withLock { state -> String? in
            state.onLost = onLost
            return state.lost
        }
        if let already { onLost(already) }
        let interval = Duration.milliseconds(Int64(max(seconds, 0.05) * 1000))
        return Task {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                switch await self.renew() {
                case .renewed: self.logger.debug("renewed the host lease \(self.location)")
                case .lost: return
                case .failed(let message):
                    if self.state.withLock({ $0.released }) { return }
                    self.logger.warning("could not renew the host lease (retrying): \(message)")
                }
            }
        }
    }

    /// The commit check of a push: renews the lease right now and throws unless that succeeded. The error is an
    /// `io` one on purpose: a loser's failed push must never turn into a pending record a later retry lands.
    public func checkBeforeCommit() async throws(SyncError) {
        switch await renew() {
        case .renewed: return
        case .lost(let reason):
            throw SyncError(
                .io, "not committing: this host lost the host lease \(location) (\(reason)); it no longer saves")
        case .failed(let message):
            throw SyncError(.io, "not committing: the host lease could not be confirmed (\(message))")
        }
    }

    // MARK: Release

    /// Gives the lease up (once held and not lost): the record is overwritten as released, then deleted where the
    /// server deletes conditionally. Failures are warnings: the record then expires at its TTL.
    public func release() async {
        await serial.run { await self.releaseNow() }
    }

    private func releaseNow() async {
        let (record, etag, lost) = state.withLock { state -> (LeaseRecord?, String?, String?) in
            defer { state.released = true }
            return state.released ? (nil, nil, nil) : (state.record, state.etag, state.lost)
        }
        guard lost == nil, let record, let etag else { return }
        let gone = record.released(at: now())
        do throws(LeaseStoreError) {
            switch try await store.replace(try encode(gone), ifMatch: etag) {
            case .written(let releasedTag):
                if try await store.delete(ifMatch: releasedTag) {
                    logger.notice("released the host lease \(location) (deleted)")
                } else {
                    logger.notice(
                        "released the host lease \(location) (record left marked released: no conditional delete here)")
                }
            case .conflict, .missing:
                logger.warning("the host lease \(location) was no longer this host's at exit; left it as it is")
            }
        } catch {
            logger.warning(
                "could not release the host lease (it lapses at \(LeaseRecord.format(record.expiresAt))): \(error.message)"
            )
        }
    }

    // MARK: Helpers

    private func encode(_ record: LeaseRecord) throws(LeaseStoreError) -> [UInt8] {
        do { return try record.encoded() } catch { throw LeaseStoreError("cannot encode the lease record: \(error)") }
    }

    /// `<hostname>-<pid>-<8 random hex digits>`.
    public static func makeHolderID(host: String = hostName()) -> String {
        let random = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "\(host)-\(getpid())-\(random)"
    }

    /// This machine's host name (`unknown-host` when it has none).
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown-host" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "unknown-host" : name
    }
}

/// Runs async work one piece at a time, in call order.
final class SerialTasks: Sendable {
    private let last = Mutex<Task<Void, Never>?>(nil)

    func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        let task = last.withLock { last -> Task<T, Never> in
            let previous = last
            let task = Task<T, Never> {
                await previous?.value
                return await body()
            }
            last = Task { _ = await task.value }
            return task
        }
        return await task.value
    }
}
