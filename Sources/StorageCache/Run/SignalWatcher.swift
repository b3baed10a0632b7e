import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns process signals into calls of a handler (on a private queue) instead of their default action, until
/// ``stop()``. The signals are ignored meanwhile; ``SupervisedChild`` resets them to default in the child.
public final class SignalWatcher: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>
    private let signals: [Int32]

    /// Starts watching `signals`.
    public init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        let queue = DispatchQueue(label: "storage-cache.signals")
        var made: [any DispatchSourceSignal] = []
        for number in signals {
            _ = setDisposition(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            made.append(source)
        }
        sources = Mutex(made)
    }

    /// Stops watching and restores the default dispositions.
    public func stop() {
        sources.withLock { sources in
            for source in sources { source.cancel() }
            sources = []
        }
        for number in signals { _ = setDisposition(number, SIG_DFL) }
    }
}

private func setDisposition(_ number: Int32, _ disposition: sighandler_t?) -> sighandler_t? {
    #if canImport(Glibc)
        Glibc.signal(number, disposition)
    #else
        Darwin.signal(number, disposition)
    #endif
}
