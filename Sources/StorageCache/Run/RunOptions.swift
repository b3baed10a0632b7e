/// How `storage-cache run` supervises its child.
public struct RunOptions: Sendable {
    /// The command and its arguments.
    public var command: [String]
    /// Seconds between periodic saves (0: none, only the final save).
    public var syncInterval: Double = 60
    /// Seconds from a stop signal (or the child's own exit) until the supervisor exits, final save included.
    public var shutdownTimeout: Double = 30
    /// Seconds the child gets after a forwarded SIGTERM or SIGINT before it is sent SIGKILL.
    public var killAfter: Double = 10

    /// The default interval, as in the periodic-sync sidecars (`SYNC_INTERVAL`).
    public static let defaultSyncInterval: Double = 60

    public init(command: [String]) {
        self.command = command
    }
}
