import Hashing

/// Cache keys: any characters, 1…512 of them. Files are named by a hash of the key, never the key itself.
public enum CacheKey {
    /// The longest key accepted, in characters (as actions/cache).
    public static let maximumLength = 512

    /// Throws `invalidInput` when `key` is empty or too long; `name` is the flag or input it came from.
    public static func validate(_ key: String, name: String = "key") throws(StoreError) {
        if key.isEmpty {
            throw StoreError(code: .invalidInput, message: "\(name) must not be empty")
        }
        if key.count > maximumLength {
            throw StoreError(
                code: .invalidInput,
                message: "\(name) is \(key.count) characters long; at most \(maximumLength) are allowed")
        }
    }

    /// Lower-case hex SHA-256 of the key's UTF-8 bytes: the stem of its archive's file name.
    public static func fileStem(_ key: String) -> String {
        Digest.sha256Hex(Array(key.utf8))
    }

    /// Splits restore keys given one per value and/or newline-separated (as actions/cache's `restore-keys`),
    /// trimming surrounding whitespace and dropping blank lines.
    public static func splitRestoreKeys(_ values: [String]) -> [String] {
        values.flatMap { value in
            value.split(whereSeparator: \.isNewline).map { line in
                String(line.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            }
        }.filter { !$0.isEmpty }
    }
}
