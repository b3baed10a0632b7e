/// Byte counts as people write them: `10GiB`, `512MiB`, `1.5G`, `500MB`, `4096`. `K`/`M`/`G`/`T` and the `iB`
/// forms are powers of 1024, `KB`/`MB`/`GB`/`TB` powers of 1000.
public enum ByteCount {
    /// Parses `text`; `nil` when it is not a non-negative size with a known unit.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingWhitespace()
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count).trimmingWhitespace().lowercased()
        guard !number.isEmpty, let value = Double(number), value >= 0 else { return nil }
        guard let multiplier = multiplier(forUnit: unit) else { return nil }
        let bytes = value * multiplier
        guard bytes < 9e18 else { return nil }
        return Int64(bytes.rounded())
    }

    /// The bytes in one `unit` (lower-case, `""` or `b` for bytes), or `nil` for an unknown unit. Shared by every
    /// size parser so they agree on what `K`, `MiB` and `GB` mean.
    package static func multiplier(forUnit unit: String) -> Double? {
        switch unit {
        case "", "b": 1
        case "k", "kib": 1024
        case "m", "mib": 1024 * 1024
        case "g", "gib": 1024 * 1024 * 1024
        case "t", "tib": 1024 * 1024 * 1024 * 1024
        case "kb": 1e3
        case "mb": 1e6
        case "gb": 1e9
        case "tb": 1e12
        default: nil
        }
    }

    /// `bytes` for a person: `812 B`, `12.3 KiB`, `1.50 GiB`.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        return "\(value.formatted(decimals: value < 10 ? 2 : 1)) \(units[unit])"
    }
}

extension StringProtocol {
    package func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

extension Double {
    /// The value with `decimals` digits after the point, without Foundation.
    package func formatted(decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((self * scale).rounded())
        let whole = scaled / Int64(scale)
        let fraction = String(abs(scaled) % Int64(scale))
        if decimals == 0 { return "\(whole)" }
        let sign = scaled < 0 && whole == 0 ? "-" : ""
        return "\(sign)\(whole)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
