/// Sizes written by people: `1048576`, `512K`, `100M`, `2G`, `1.5GiB`, `10MB`.
///
/// `K`, `M`, `G`, `T` and `KiB`, `MiB`, `GiB`, `TiB` are powers of 1024; `KB`, `MB`, `GB`, `TB` are powers of 1000;
/// `B` or no suffix means bytes. Suffixes are case-insensitive; the size must be at least one byte.
public enum ByteSize {
    /// The number of bytes `text` names, or an ``InputError`` naming `input` (and `flag`).
    public static func parse(_ text: String, input: String, flag: String? = nil) throws(InputError) -> Int64 {
        func fail(_ reason: String) -> InputError {
            InputError(input: input, flag: flag, message: "\(reason), not \"\(text)\" (e.g. 1048576, 512K, 100M, 2GiB)")
        }
        let trimmed = text.trimmingSpaces()
        let numberEnd = trimmed.firstIndex(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) }) ?? trimmed.endIndex
        let number = trimmed[..<numberEnd]
        let suffix = String(trimmed[numberEnd...]).trimmingSpaces().lowercased()
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number.first != ".", number.last != ".",
            let value = Double(number)
        else {
            throw fail("must be a size in bytes with an optional K/M/G/KiB/MiB/GiB suffix")
        }
        guard let multiplier = ByteCount.multiplier(forUnit: suffix) else {
            throw fail("has an unknown unit \"\(suffix)\"")
        }
        let bytes = (value * multiplier).rounded(.down)
        guard bytes >= 1 else { throw fail("must be at least 1 byte") }
        guard bytes < 9.0e18 else { throw fail("is too large") }
        return Int64(bytes)
    }
}
