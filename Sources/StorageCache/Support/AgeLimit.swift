/// Durations as people write them: `7d`, `12h`, `30m`, `90s`, `2w` (a bare number is seconds).
public enum AgeLimit {
    /// Parses `text` into seconds; `nil` when it is not a non-negative duration with a known unit.
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingWhitespace()
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count).trimmingWhitespace().lowercased()
        guard !number.isEmpty, let value = Double(number), value >= 0 else { return nil }
        switch unit {
        case "", "s", "sec", "second", "seconds": return value
        case "m", "min", "minute", "minutes": return value * 60
        case "h", "hour", "hours": return value * 3600
        case "d", "day", "days": return value * 86400
        case "w", "week", "weeks": return value * 7 * 86400
        default: return nil
        }
    }

    /// `seconds` for a person: `45 s`, `12 min`, `3.5 h`, `7 d`.
    public static func format(_ seconds: Double) -> String {
        if seconds < 60 { return "\(seconds.formatted(decimals: seconds < 10 ? 1 : 0)) s" }
        if seconds < 3600 { return "\((seconds / 60).formatted(decimals: 0)) min" }
        if seconds < 86400 { return "\((seconds / 3600).formatted(decimals: 1)) h" }
        return "\((seconds / 86400).formatted(decimals: 1)) d"
    }
}
