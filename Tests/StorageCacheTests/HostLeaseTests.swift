import Foundation
import Logging
import Synchronization
import Testing

@testable import StorageCache

/// One object with S3's conditional-write semantics (create-only, If-Match, conditional delete), faults on demand.
final class FakeLeaseStore: LeaseObjectStore {
    struct State {
        var object: LeaseObject?
        var version = 0
        var failures = 0
        var writes = 0
    }

    let state = Mutex(State())
    let conditionalDelete: Bool

    init(conditionalDelete: Bool = true) { self.conditionalDelete = conditionalDelete }

    var location: String { "fake://lease.json" }

    var record: LeaseRecord? { state.withLock { $0.object }.flatMap { try? LeaseRecord.decode($0.bytes) } }

    /// The next `count` requests fail (a network outage).
    func fail(_ count: Int) { state.withLock { $0.failures = count } }

    private func check() throws(LeaseStoreError) {
        let fail = state.withLock { state -> Bool in
            guard state.failures > 0 else { return false }
            state.failures -= 1
            return true
        }
        if fail { throw LeaseStoreError("injected failure") }
    }

    /// Writes `bytes` unconditionally (another writer); the new ETag.
    @discardableResult
    func put(_ bytes: [UInt8]) -> String {
        state.withLock { state in
            state.version += 1
            state.object = LeaseObject(bytes: bytes, etag: "\"v\(state.version)\"")
            return "\"v\(state.version)\""
        }
    }

    func read() async throws(LeaseStoreError) -> LeaseObject? {
        try check()
        return state.withLock { $0.object }
    }

    func create(_ bytes: [UInt8]) async throws(LeaseStoreError) -> String? {
        try check()
        return state.withLock { state -> String? in
            guard state.object == nil else { return nil }
            state.version += 1
            state.writes += 1
            state.object = LeaseObject(bytes: bytes, etag: "\"v\(state.version)\"")
            return "\"v\(state.version)\""
        }
    }

    func replace(_ bytes: [UInt8], ifMatch etag: String) async throws(LeaseStoreError) -> LeaseWrite {
        try check()
        return state.withLock { state -> LeaseWrite in
            guard let object = state.object else { return .missing }
            guard object.etag == etag else { return .conflict }
            state.version += 1
            state.writes += 1
            state.object = LeaseObject(bytes: bytes, etag: "\"v\(state.version)\"")
            return .written("\"v\(state.version)\"")
        }
    }

    func delete(ifMatch etag: String) async throws(LeaseStoreError) -> Bool {
        try check()
        guard conditionalDelete else { return false }
        let matched = state.withLock { state -> Bool in
            guard state.object?.etag == etag else { return false }
            state.object = nil
            return true
        }
        if !matched { throw LeaseStoreError("precondition failed") }
        return true
    }
}

/// A wall clock and a monotonic clock that tests move by hand (together).
final class FakeWallClock: Sendable {
    private let current = Mutex((Date(timeIntervalSince1970: 1_800_000_000), 0.0))
    var now: Date { current.withLock { $0.0 } }
    var uptime: Double { current.withLock { $0.1 } }
    func advance(_ seconds: Double) {
        current.withLock { $0 = ($0.0.addingTimeInterval(seconds), $0.1 + seconds) }
    }
}

@Suite struct HostLeaseTests {
    static let logger = Logger(label: "lease-test") { _ in SwiftLogNoOpLogHandler() }

    static func lease(
        _ store: FakeLeaseStore, _ clock: FakeWallClock, holder: String, ttl: Double = 30, wait: Double = 0
    ) -> HostLease {
        HostLease(
            store: store, settings: LeaseSettings(enabled: true, ttl: ttl, wait: wait), logger: logger,
            holder: holder, now: { clock.now }, uptime: { clock.uptime })
    }

    @Test func theFirstHostCreatesTheLeaseAndASecondIsRefusedNamingTheHolder() async throws {
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        let a = Self.lease(store, clock, holder: "host-a-1-aa")
        let taken = try await a.acquire()
        #expect(taken.previous == nil)
        #expect(a.isHeld)
        #expect(store.record?.holder == "host-a-1-aa")
        #expect(store.record?.expiresAt == clock.now.addingTimeInterval(30))

        let b = Self.lease(store, clock, holder: "host-b-2-bb")
        do {
            _ = try await b.acquire()
            Issue.record("a held lease must not be taken")
        } catch {
            #expect(error.code == .leaseHeld)
            #expect(error.exitStatus == 75)
            #expect(error.message.contains("held by host-a-1-aa (host "), "\(error.message)")
            #expect(error.message.contains(LeaseRecord.format(clock.now.addingTimeInterval(30))), "\(error.message)")
        }
        #expect(!b.isHeld)
        #expect(store.record?.holder == "host-a-1-aa", "the refused host wrote nothing")
    }

    @Test func anExpiredLeaseIsTakenOverAndTheOldHolderLosesItForGood() async throws {
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        let a = Self.lease(store, clock, holder: "a")
        _ = try await a.acquire()
        #expect(await a.renew() == .renewed)
        clock.advance(31)  // a froze past its TTL

        let b = Self.lease(store, clock, holder: "b")
        let taken = try await b.acquire()
        #expect(taken.previous?.holder == "a")
        #expect(taken.previous?.released == false)
        #expect(store.record?.holder == "b")

        let lost = Mutex<[String]>([])
        let renewal = a.keepRenewing(every: 3600) { reason in lost.withLock { $0.append(reason) } }
        defer { renewal.cancel() }
        guard case .lost(let reason) = await a.renew() else {
            Issue.record("a's renewal must find the lease taken")
            return
        }
        #expect(reason.contains("taken over by b"), "\(reason)")
        #expect(lost.withLock { $0 } == [reason], "onLost runs once")
        #expect(await a.renew() == .lost(reason), "lost stays lost")
        await #expect(throws: SyncError.self) { try await a.checkBeforeCommit() }
        #expect(store.record?.holder == "b", "the loser never overwrote the winner")
        #expect(await b.renew() == .renewed)
        try await b.checkBeforeCommit()
    }

    @Test func ofSeveralTakersOfAStaleLeaseExactlyOneWins() async throws {
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        _ = try await Self.lease(store, clock, holder: "dead").acquire()
        clock.advance(60)
        let takers = (0..<8).map { Self.lease(store, clock, holder: "taker-\($0)") }
        let won = await withTaskGroup(of: Bool.self) { group in
            for taker in takers { group.addTask { (try? await taker.acquire()) != nil } }
            var count = 0
            for await success in group where success { count += 1 }
            return count
        }
        #expect(won == 1)
        #expect(takers.filter(\.isHeld).count == 1)
        #expect(takers.first(where: \.isHeld)?.holder == store.record?.holder)
    }

    @Test func releaseDeletesConditionallyOrLeavesAReleasedRecordThatIsFreeAtOnce() async throws {
        for conditionalDelete in [true, false] {
            let store = FakeLeaseStore(conditionalDelete: conditionalDelete)
            let clock = FakeWallClock()
            let a = Self.lease(store, clock, holder: "a")
            _ = try await a.acquire()
            await a.release()
            #expect(!a.isHeld)
            await #expect(throws: SyncError.self) { try await a.checkBeforeCommit() }
            if conditionalDelete {
                #expect(store.record == nil)
            } else {
                #expect(store.record?.released == true)
                #expect(store.record?.holder == "a")
            }
            let b = Self.lease(store, clock, holder: "b")
            let taken = try await b.acquire()
            #expect(taken.previous?.released == (conditionalDelete ? nil : true))
            #expect(store.record?.holder == "b")
            await a.release()  // a second release changes nothing
            #expect(store.record?.holder == "b")
        }
    }

    @Test func aWaitingHostTakesTheLeaseWhenTheHolderReleasesIt() async throws {
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        let a = Self.lease(store, clock, holder: "a")
        _ = try await a.acquire()
        let b = Self.lease(store, clock, holder: "b", wait: 30)
        let waiting = Task { try await b.acquire() }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!b.isHeld, "b waits while a holds it")
        await a.release()
        let taken = try await waiting.value
        #expect(taken.waited > 0)
        #expect(b.isHeld)
        #expect(store.record?.holder == "b")
    }

    @Test func aWaitingHostGivesUpAfterLeaseWaitWhileTheHolderRenews() async throws {
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        let a = Self.lease(store, clock, holder: "a")
        _ = try await a.acquire()
        let b = Self.lease(store, clock, holder: "b", wait: 0.5)
        do {
            _ = try await b.acquire()
            Issue.record("a renewed lease must not be taken")
        } catch {
            #expect(error.code == .leaseHeld)
            #expect(error.message.contains("after waiting"), "\(error.message)")
        }
        #expect(store.record?.holder == "a")
        #expect(await a.renew() == .renewed)
    }

    @Test func failedRenewalsKeepTheLeaseUntilATTLHasPassedThenLoseIt() async throws {
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        let a = Self.lease(store, clock, holder: "a", ttl: 30)
        _ = try await a.acquire()
        clock.advance(20)
        store.fail(1)
        guard case .failed = await a.renew() else {
            Issue.record("one failure within the TTL is not a loss")
            return
        }
        #expect(a.isHeld)
        #expect(await a.renew() == .renewed)
        store.fail(100)
        clock.advance(29)
        guard case .failed = await a.renew() else {
            Issue.record("29 s after the last renewal it is still held")
            return
        }
        clock.advance(1)
        guard case .lost(let reason) = await a.renew() else {
            Issue.record("no renewal for a whole TTL is a loss")
            return
        }
        #expect(reason.contains("no renewal succeeded"), "\(reason)")
        #expect(!a.isHeld)
    }

    @Test func aConflictWithThisHostsOwnEarlierWriteIsNotALoss() async throws {
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        let a = Self.lease(store, clock, holder: "a")
        _ = try await a.acquire()
        // A retried renewal landed twice: the object holds a's record under an ETag a never saw.
        let record = try #require(store.record)
        store.put(try record.renewed(at: clock.now).encoded())
        #expect(await a.renew() == .renewed)
        #expect(await a.renew() == .renewed)
        #expect(store.record?.holder == "a")
    }

    @Test func aDeletedLeaseObjectIsALoss() async throws {
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        let a = Self.lease(store, clock, holder: "a")
        _ = try await a.acquire()
        store.state.withLock { $0.object = nil }
        guard case .lost(let reason) = await a.renew() else {
            Issue.record("a deleted lease is lost")
            return
        }
        #expect(reason.contains("deleted"))
    }

    @Test func leaseRecordsRoundTripWithMilliseconds() throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000.123)
        let record = LeaseRecord(holder: "h-1-ab", host: "h", pid: 1, acquiredAt: at, renewedAt: at, ttlSeconds: 3)
        let decoded = try LeaseRecord.decode(try record.encoded())
        #expect(decoded.holder == record.holder)
        #expect(abs(decoded.expiresAt.timeIntervalSince(at) - 3) < 0.002)
        #expect(decoded.isFree(at: at.addingTimeInterval(3.01)))
        #expect(!decoded.isFree(at: at.addingTimeInterval(2.9)))
        #expect(decoded.released(at: at).isFree(at: at))
        #expect(String(decoding: try record.encoded(), as: UTF8.self).contains("\"expiresAt\":\"2027-01-15T08:00:03.1"))
    }
}

@Suite struct LeaseSettingsTests {
    @Test func defaultsInputsAndFlags() throws {
        let off = try LeaseSettings.resolve(flags: .init(), environment: [:], syncInterval: 60)
        #expect(off == LeaseSettings(enabled: false, ttl: 300, wait: 0))
        let inputs = try LeaseSettings.resolve(
            flags: .init(), environment: ["INPUT_LEASE": "true", "INPUT_LEASE-TTL": "10m", "INPUT_LEASE-WAIT": "90s"],
            syncInterval: 60)
        #expect(inputs == LeaseSettings(enabled: true, ttl: 600, wait: 90))
        let flags = try LeaseSettings.resolve(
            flags: .init(enabled: false, ttl: "3", wait: "0"), environment: ["INPUT_LEASE": "true"], syncInterval: 1)
        #expect(flags == LeaseSettings(enabled: false, ttl: 3, wait: 0))
        #expect(LeaseSettings(ttl: 300).renewalInterval(syncInterval: 60) == 60)
        #expect(LeaseSettings(ttl: 3).renewalInterval(syncInterval: 0) == 1)
    }

    @Test func badValuesNameTheirInput() {
        let cases: [([String: String], LeaseSettings.Flags, String)] = [
            (["INPUT_LEASE": "yes"], .init(), "lease"),
            ([:], .init(ttl: "soon"), "lease-ttl"),
            ([:], .init(ttl: "0"), "lease-ttl"),
            (["INPUT_LEASE-WAIT": "-1"], .init(), "lease-wait"),
            ([:], .init(enabled: true, ttl: "60"), "lease-ttl"),  // not longer than sync-interval 60
        ]
        for (environment, flags, input) in cases {
            do throws(InputError) {
                _ = try LeaseSettings.resolve(flags: flags, environment: environment, syncInterval: 60)
                Issue.record("\(environment) \(flags) must be refused")
            } catch {
                #expect(error.input == input, "\(error)")
            }
        }
        #expect(throws: Never.self) {
            _ = try LeaseSettings.resolve(flags: .init(enabled: true, ttl: "60"), environment: [:], syncInterval: 0)
        }
    }
}

@Suite(.serialized) struct RunSupervisorLeaseTests {
    static let logger = Logger(label: "run-lease-tests") { _ in SwiftLogNoOpLogHandler() }

    @Test func aLeaseHeldElsewhereStartsNothingAndRestoresNothing() async throws {
        let scratch = try TemporaryDirectory()
        let marker = scratch.sub("started")
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        _ = try await HostLeaseTests.lease(store, clock, holder: "other").acquire()
        let fake = FakeSynchronizer(failRestore: true)  // a restore would throw restoreFailed
        let supervisor = RunSupervisor(
            synchronizer: fake, options: RunOptions(command: ["touch", marker]), logger: Self.logger,
            lease: HostLeaseTests.lease(store, clock, holder: "me"))
        do {
            _ = try await supervisor.run()
            Issue.record("must not run while another host holds the lease")
        } catch {
            #expect(error.code == .leaseHeld, "\(error)")
            #expect(error.exitStatus == 75)
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(store.record?.holder == "other")
    }

    @Test func aLostLeaseStopsTheChildSkipsEverySaveAndEndsWithLeaseLost() async throws {
        let store = FakeLeaseStore()
        let clock = FakeWallClock()
        let lease = HostLeaseTests.lease(store, clock, holder: "me", ttl: 0.6)
        let fake = FakeSynchronizer()
        var options = RunOptions(command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"])
        options.syncInterval = 0
        options.killAfter = 5
        let supervisor = RunSupervisor(synchronizer: fake, options: options, logger: Self.logger, lease: lease)
        let run = Task { try await supervisor.run() }
        while !lease.isHeld { try await Task.sleep(for: .milliseconds(20)) }
        // Another host writes its own record over this one (it found it expired).
        let theirs = LeaseRecord(
            holder: "other", host: "h2", pid: 2, acquiredAt: clock.now, renewedAt: clock.now, ttlSeconds: 30)
        store.put(try theirs.encoded())
        do {
            _ = try await run.value
            Issue.record("a lost lease must end the run with leaseLost")
        } catch let error as RunError {
            #expect(error.code == .leaseLost, "\(error)")
            #expect(error.exitStatus == 76)
            #expect(error.message.contains("taken over by other"), "\(error.message)")
        }
        #expect(fake.saves.withLock { $0 }.isEmpty, "no save after the loss, not even the final one")
        #expect(store.record?.holder == "other", "the loser neither renewed nor released over the winner")
    }
}
