/// What a lookup or restore found.
public enum CacheOutcome: String, Sendable, Codable, Equatable {
    /// An entry matched (exactly or by a restore-key prefix) and verified.
    case hit
    /// No entry matched.
    case miss
    /// An entry matched but failed verification (size or SHA-256); it was removed and nothing was restored.
    case corrupted
}
