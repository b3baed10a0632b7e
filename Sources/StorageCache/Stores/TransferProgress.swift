/// How far a save or restore has got, for a progress display.
public struct TransferProgress: Sendable, Equatable {
    /// What is happening: `archiving`, `extracting`, `verifying`.
    public var phase: String
    /// Archive bytes written or read so far.
    public var bytes: Int64
    /// Archive bytes in all, when known.
    public var totalBytes: Int64?

    public init(phase: String, bytes: Int64, totalBytes: Int64? = nil) {
        self.phase = phase
        self.bytes = bytes
        self.totalBytes = totalBytes
    }
}

/// Receives progress; called often, from whatever thread does the work, so it must be cheap and thread-safe.
public typealias ProgressHandler = @Sendable (TransferProgress) -> Void
