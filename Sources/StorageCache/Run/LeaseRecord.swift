import Foundation

/// The content of a lease object (`<prefix>/<agentIdentity>/<owner-repo>/lease.json`): who holds the lease, since
/// when, and until when it is valid without another renewal. A record marked `released`, or past `expiresAt`, is
/// free to take.
public struct LeaseRecord: Codable, Sendable, Equatable {
    /// The record layout version.
    public var version: Int = 1
    /// The holder's id: `<hostname>-<pid>-<random>`, unique per `run`.
    public var holder: String
    /// The holder's host name.
    public var host: String
    /// The holder's process id.
    public var pid: Int32
    /// When the holder took the lease.
    public var acquiredAt: Date
    /// The holder's last renewal.
    public var renewedAt: Date
    /// When the lease lapses unless renewed again (`renewedAt` + `ttlSeconds`).
    public var expiresAt: Date
    /// The TTL the holder renews with.
    public var ttlSeconds: Double
    /// Whether the holder gave the lease up on exit.
    public var released: Bool = false

    public init(holder: String, host: String, pid: Int32, acquiredAt: Date, renewedAt: Date, ttlSeconds: Double) {
        self.holder = holder
        self.host = host
        self.pid = pid
        self.acquiredAt = acquiredAt
        self.renewedAt = renewedAt
        self.expiresAt = renewedAt.addingTimeInterval(ttlSeconds)
        self.ttlSeconds = ttlSeconds
    }

    /// Whether another host may take the lease at `now`.
    public func isFree(at now: Date) -> Bool { released || expiresAt <= now }

    /// This record renewed at `now`.
    public func renewed(at now: Date) -> LeaseRecord {
        var record = self
        record.renewedAt = now
        record.expiresAt = now.addingTimeInterval(ttlSeconds)
        return record
    }

    /// This record given up at `now`: released, and expired at once.
    public func released(at now: Date) -> LeaseRecord {
        var record = self
        record.released = true
        record.renewedAt = now
        record.expiresAt = now
        return record
    }

    /// `holder (host H, pid P)`, for messages.
    public var holderDescription: String { "\(holder) (host \(host), pid \(pid))" }

    /// The record as JSON (dates in ISO 8601 with milliseconds, UTC).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Self.format(date))
        }
        return Array(try encoder.encode(self))
    }

    /// Decodes a record written by ``encoded()``.
    public static func decode(_ bytes: [UInt8]) throws -> LeaseRecord {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an ISO 8601 time: \(text)")
            }
            return date
        }
        return try decoder.decode(LeaseRecord.self, from: Data(bytes))
    }

    /// `2026-12-01T10:30:00.123Z`.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
