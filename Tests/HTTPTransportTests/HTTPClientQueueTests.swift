import Foundation
import HTTPTransport
import Synchronization
import Testing

@Suite("HTTPClient queueing")
struct HTTPClientQueueTests {
    @Test func cancellingAQueuedRequestDoesNotWaitForASlot() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client {
            $0.maxConcurrentRequests = 1
            $0.lowSpeedTime = .seconds(300)
        }
        // Holds the only slot: the server stays silent for 600 s, and no low-speed limit ends it sooner.
        let blockerDone = DoneFlag()
        let blocker = Task {
            defer { blockerDone.set() }
            return try await client.execute(HTTPRequest(method: "GET", url: server.url("/stall?s=600")))
        }
        try await Task.sleep(for: .milliseconds(200))
        let queued = Task { try await client.execute(HTTPRequest(method: "GET", url: server.url("/hello"))) }
        try await Task.sleep(for: .milliseconds(100))
        queued.cancel()
        let result = await queued.result
        // The queued request ended while the blocker still held the slot: it did not wait for it.
        #expect(!blockerDone.isSet)
        blocker.cancel()
        guard case .failure(let error) = result else {
            Issue.record("the queued request ran despite the busy slot")
            return
        }
        #expect((error as? HTTPTransportError)?.code == .cancelled)
        #expect(((await blocker.result).failure as? HTTPTransportError)?.code == .cancelled)
    }

    @Test func queuedRequestsRunInTurn() async throws {
        let server = try await TestServer.start()
        let client = TestSupport.client { $0.maxConcurrentRequests = 2 }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await client.execute(HTTPRequest(method: "GET", url: server.url("/slow?ms=400"))).status
                }
            }
            for try await status in group { #expect(status == 200) }
        }
        // Two at a time: two rounds of 400 ms, not one.
        #expect(ContinuousClock.now - started >= .milliseconds(800))
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// A flag set once from another task.
private final class DoneFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
