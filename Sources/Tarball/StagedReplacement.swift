/// A directory built beside a destination and swapped into its place atomically, for callers that assemble a tree
/// themselves (a per-file S3 pull) rather than from one archive.
///
/// Creating one takes the destination's lock and removes staging directories left by crashed runs; ``commit(sync:)``
/// swaps the staging tree in (the destination is always the old tree or the new one); ``discard()`` removes it.
/// Call exactly one of the two.
public struct StagedReplacement: Sendable {
    private let staging: StagingDirectory

    /// The staging directory to fill.
    public var path: String { String(pathBytes: staging.path) }

    /// Prepares an empty staging directory beside `destination`.
    public init(destination: String) throws(TarballError) {
        let staging = try StagingDirectory(destination: destination)
        staging.removeLeftovers()
        do throws(TarballError) {
            try staging.create()
        } catch {
            staging.unlock()
            throw error
        }
        self.staging = staging
    }

    /// Carries the old destination's paths that `keepExcluded` matches into the staging tree
    /// (``ExcludedCarryOver``), flushes it (unless `sync` is false) and swaps it into place; then releases the lock.
    public func commit(sync: Bool = true, keepExcluded: [String] = []) throws(TarballError) {
        defer { staging.unlock() }
        do throws(TarballError) {
            try ExcludedCarryOver(patterns: keepExcluded).carry(from: staging.destination, into: staging.path)
            if sync { try staging.sync() }
            try staging.swapIn()
        } catch {
            staging.discard()
            throw error
        }
    }

    /// Removes the staging tree and releases the lock; the destination is untouched.
    public func discard() {
        staging.discard()
        staging.unlock()
    }
}
