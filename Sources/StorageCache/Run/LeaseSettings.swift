/// The host lease of `storage-cache run` (``HostLease``): whether one is taken, how long a record stays valid
/// without renewal, and how long a second host waits for it.
public struct LeaseSettings: Sendable, Equatable {
    /// Take a lease before the restore (input `lease`, default off).
    public var enabled: Bool
    /// Seconds a lease stays valid after its last renewal (input `lease-ttl`, default 5 min).
    public var ttl: Double
    /// Seconds a second host waits for a held lease before it exits (input `lease-wait`, default 0: at once).
    public var wait: Double

    /// The default TTL: 5 minutes.
    public static let defaultTTL: Double = 300

    public init(enabled: Bool = false, ttl: Double = defaultTTL, wait: Double = 0) {
        self.enabled = enabled
        self.ttl = ttl
        self.wait = wait
    }

    /// Seconds between renewals while the lease is held: a third of the TTL, and at least once per periodic sync.
    public func renewalInterval(syncInterval: Double) -> Double {
        syncInterval > 0 ? min(syncInterval, ttl / 3) : ttl / 3
    }

    /// What a command line gives (each `nil` when its flag is absent).
    public struct Flags: Sendable, Equatable {
        /// `--lease` / `--no-lease`.
        public var enabled: Bool?
        /// `--lease-ttl`.
        public var ttl: String?
        /// `--lease-wait`.
        public var wait: String?

        public init(enabled: Bool? = nil, ttl: String? = nil, wait: String? = nil) {
            self.enabled = enabled
            self.ttl = ttl
            self.wait = wait
        }
    }

    /// Resolves flags → `INPUT_LEASE`, `INPUT_LEASE-TTL`, `INPUT_LEASE-WAIT` → defaults. Durations take `30`,
    /// `30s`, `5m`. With the lease on, the TTL must exceed `syncInterval` (a lease is renewed at each sync).
    public static func resolve(flags: Flags, environment: [String: String], syncInterval: Double)
        throws(InputError) -> LeaseSettings
    {
        let inputs = ActionInputs(environment: environment)
        var settings = LeaseSettings()
        if let enabled = flags.enabled {
            settings.enabled = enabled
        } else if let enabled = try inputs.bool("lease", flag: "--lease") {
            settings.enabled = enabled
        }
        if let text = flags.ttl ?? inputs.string("lease-ttl") {
            settings.ttl = try seconds(text, input: "lease-ttl", flag: "--lease-ttl")
            guard settings.ttl > 0 else {
                throw InputError(input: "lease-ttl", flag: "--lease-ttl", message: "must be more than 0 seconds")
            }
        }
        if let text = flags.wait ?? inputs.string("lease-wait") {
            settings.wait = try seconds(text, input: "lease-wait", flag: "--lease-wait")
        }
        if settings.enabled && syncInterval > 0 && settings.ttl <= syncInterval {
            throw InputError(
                input: "lease-ttl", flag: "--lease-ttl",
                message:
                    "must be longer than sync-interval (\(AgeLimit.format(syncInterval))): the lease is renewed at each sync, "
                    + "so a shorter one expires between two syncs")
        }
        return settings
    }

    private static func seconds(_ text: String, input: String, flag: String) throws(InputError) -> Double {
        guard let value = AgeLimit.parse(text), value.isFinite else {
            throw InputError(
                input: input, flag: flag, message: "must be a duration such as 30, 30s or 5m, not \"\(text)\"")
        }
        return value
    }
}
