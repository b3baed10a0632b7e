import Dispatch

/// Runs blocking work (archiving, extraction, `flock`) on a Dispatch thread so it does not hold one of the few
/// threads of Swift's cooperative pool.
package enum Blocking {
    package static func run<T: Sendable>(
        _ body: @escaping @Sendable () throws(StoreError) -> T
    ) async throws(StoreError) -> T {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(StoreError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
