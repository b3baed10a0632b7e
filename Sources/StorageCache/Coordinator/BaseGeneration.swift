import Synchronization

/// The S3 generation the tree in the storage directory was built on, remembered between a restore and the saves
/// after it (in memory for `run` and library hosts; the action's split steps carry it in `STATE_s3-generation`).
/// `nil`: unknown, and a push is unconditional; `0`: S3 held nothing.
public final class BaseGeneration: Sendable {
    private let value = Mutex<Int?>(nil)

    public init(_ generation: Int? = nil) {
        value.withLock { $0 = generation }
    }

    /// The generation remembered, `nil` when unknown.
    public var current: Int? { value.withLock { $0 } }

    /// Remembers `generation` (`nil` forgets).
    public func set(_ generation: Int?) { value.withLock { $0 = generation } }

    /// Parses the runner-state value (`""` or a non-negative integer).
    public static func parse(state: String?) -> Int? {
        guard let state, let generation = Int(state.trimmingSpaces()), generation >= 0 else { return nil }
        return generation
    }

    /// The base of a save step: flag `--s3-base-generation` or input `s3-base-generation`
    /// (`INPUT_S3-BASE-GENERATION`; for a split `save/` step: the restore step's `s3-generation` output; the flag
    /// wins), else the `STATE_s3-generation` the action's own restore step left, else unknown. A value that is not a
    /// non-negative integer is an ``InputError`` (exit 2).
    public static func resolve(flag: String? = nil, environment: [String: String]) throws(InputError) -> Int? {
        let input = ActionInputs(environment: environment).string("s3-base-generation")
        if let text = flag ?? input {
            guard let generation = parse(state: text) else {
                throw InputError(
                    input: "s3-base-generation", flag: flag == nil ? nil : "--s3-base-generation",
                    message: "must be a non-negative integer (a restore step's s3-generation output), not \"\(text)\"")
            }
            return generation
        }
        return parse(state: environment["STATE_s3-generation"])
    }
}
