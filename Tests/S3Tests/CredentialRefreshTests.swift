import Foundation
import Testing

@testable import S3

/// A clock tests move by hand.
final class CredentialTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = start }

    var now: Date { lock.withLock { current } }

    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}

/// Hands out numbered temporary credentials that expire `lifetime` seconds after the clock's now.
actor CountingCredentialProvider: CredentialProvider {
    let clock: CredentialTestClock
    let lifetime: TimeInterval
    let delay: Duration
    var fetches = 0
    var failing = false

    init(clock: CredentialTestClock, lifetime: TimeInterval = 3600, delay: Duration = .zero) {
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
    }

    func setFailing(_ value: Bool) { failing = value }

    func credentials() async throws(CredentialError) -> AWSCredentials {
        fetches += 1
        let number = fetches
        if delay > .zero { try? await Task.sleep(for: delay) }
        if failing { throw CredentialError(code: .fetchFailed, source: "counting", message: "refresh refused") }
        return AWSCredentials(
            accessKeyID: "AKID\(number)", secretAccessKey: "secret\(number)", sessionToken: "token\(number)",
            expiration: clock.now.addingTimeInterval(lifetime))
    }
}

@Suite struct CredentialRefreshTests {
    @Test func cachedUntilFiveMinutesBeforeExpiryThenRefreshed() async throws {
        let clock = CredentialTestClock()
        let source = CountingCredentialProvider(clock: clock)
        let cache = RefreshingCredentialProvider(source, now: { clock.now })
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        clock.advance(3600 - 301)
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        #expect(await source.fetches == 1)
        clock.advance(2)  // now 299 s before expiry: inside the refresh window
        #expect(try await cache.credentials().accessKeyID == "AKID2")
        #expect(try await cache.credentials().accessKeyID == "AKID2")
        #expect(await source.fetches == 2)
    }

    @Test func credentialsWithoutExpiryAreKept() async throws {
        let value = AWSCredentials(accessKeyID: "AKIDSTATIC", secretAccessKey: "s")
        let cache = RefreshingCredentialProvider(StaticCredentialProvider(value))
        #expect(try await cache.credentials() == value)
        #expect(try await cache.credentials() == value)
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let clock = CredentialTestClock()
        let source = CountingCredentialProvider(clock: clock, delay: .milliseconds(200))
        let cache = RefreshingCredentialProvider(source, now: { clock.now })
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await cache.credentials().accessKeyID } }
            var keys: [String] = []
            for try await key in group { keys.append(key) }
            return keys
        }
        #expect(keys.count == 50)
        #expect(Set(keys) == ["AKID1"])
        #expect(await source.fetches == 1)

        clock.advance(3600 - 60)
        let refreshed = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await cache.credentials().accessKeyID } }
            var keys: [String] = []
            for try await key in group { keys.append(key) }
            return keys
        }
        #expect(Set(refreshed) == ["AKID2"])
        #expect(await source.fetches == 2)
    }

    @Test func failedRefreshKeepsStillValidCredentialsButNotExpiredOnes() async throws {
        let clock = CredentialTestClock()
        let source = CountingCredentialProvider(clock: clock)
        let cache = RefreshingCredentialProvider(source, retryInterval: .seconds(10), now: { clock.now })
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        await source.setFailing(true)
        clock.advance(3600 - 120)
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        #expect(await source.fetches == 2)  // the retry interval holds the second attempt back
        clock.advance(11)
        #expect(try await cache.credentials().accessKeyID == "AKID1")
        #expect(await source.fetches == 3)
        clock.advance(200)  // expired now
        await #expect(throws: CredentialError.self) { try await cache.credentials() }
        await source.setFailing(false)
        #expect(try await cache.credentials().accessKeyID == "AKID5")
    }
}
