#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A plain thread running one closure (the pipelines' stages: blocking system calls, not Swift concurrency).
final class WorkerThread: @unchecked Sendable {
    private let body: () -> Void
    private var thread: pthread_t?

    init(_ body: @escaping () -> Void) {
        self.body = body
    }

    /// Starts the thread; false (and nothing started) when the system refuses one.
    func start() -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(
            &handle, nil,
            { raw in
                let me = Unmanaged<WorkerThread>.fromOpaque(raw!).takeRetainedValue()
                me.body()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<WorkerThread>.fromOpaque(context).release()
            return false
        }
        thread = handle
        return true
    }

    /// Waits for the closure to return; at once when the thread was never started or already joined.
    func join() {
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }
}
