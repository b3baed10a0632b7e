import Foundation

/// Locale-free UTC timestamps for SigV4 (`yyyyMMdd'T'HHmmss'Z'`) and ISO 8601 expiry times.
///
/// Computed from the seconds since 1970 with integer civil-calendar arithmetic, so no `DateFormatter`,
/// time zone or locale is involved.
package enum SigV4Date {
    /// The `x-amz-date` form (`20130524T000000Z`) and the scope's date (`20130524`) of `date`.
    package static func stamps(_ date: Date) -> (timestamp: String, day: String) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        let hour = Int(secondOfDay / 3600)
        let minute = Int(secondOfDay % 3600 / 60)
        let second = Int(secondOfDay % 60)
        var out: [UInt8] = []
        out.reserveCapacity(16)
        append(year, width: 4, to: &out)
        append(month, width: 2, to: &out)
        append(day, width: 2, to: &out)
        let dayStamp = String(decoding: out, as: UTF8.self)
        out.append(UInt8(ascii: "T"))
        append(hour, width: 2, to: &out)
        append(minute, width: 2, to: &out)
        append(second, width: 2, to: &out)
        out.append(UInt8(ascii: "Z"))
        return (String(decoding: out, as: UTF8.self), dayStamp)
    }

    /// Parses an ISO 8601 UTC time as AWS services send it: `2026-12-01T08:00:00Z`, with optional fractional
    /// seconds and an optional `+hh:mm`/`-hh:mm` offset instead of `Z`. `nil` when the text is not of that form.
    package static func parseISO8601(_ text: String) -> Date? {
        let c = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= c.count else { return nil }
            var value = 0
            for i in start..<start + count {
                guard c[i] >= 48, c[i] <= 57 else { return nil }
                value = value * 10 + Int(c[i] - 48)
            }
            return value
        }
        guard c.count >= 19, c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-"),
            c[10] == UInt8(ascii: "T") || c[10] == UInt8(ascii: "t") || c[10] == UInt8(ascii: " "),
            c[13] == UInt8(ascii: ":"), c[16] == UInt8(ascii: ":"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < c.count, c[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < c.count, c[index] >= 48, c[index] <= 57 {
                fraction += Double(c[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index == c.count {
            offset = 0
        } else if c[index] == UInt8(ascii: "Z") || c[index] == UInt8(ascii: "z"), index + 1 == c.count {
            offset = 0
        } else if c[index] == UInt8(ascii: "+") || c[index] == UInt8(ascii: "-"), index + 6 == c.count,
            c[index + 3] == UInt8(ascii: ":"), let oh = number(index + 1, 2), let om = number(index + 4, 2)
        {
            offset = (oh * 3600 + om * 60) * (c[index] == UInt8(ascii: "+") ? 1 : -1)
        } else {
            return nil
        }
        let days = days(fromCivil: year, month, day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// Howard Hinnant's `civil_from_days`.
    private static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// Howard Hinnant's `days_from_civil`.
    private static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func append(_ value: Int, width: Int, to out: inout [UInt8]) {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        var v = value
        var i = width - 1
        while i >= 0 {
            digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
        out.append(contentsOf: digits)
    }
}
