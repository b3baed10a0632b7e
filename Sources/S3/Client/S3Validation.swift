/// Checks of names and values before a request is made, with messages that say what is wrong.
public enum S3Validation {
    /// Throws ``S3Error/Code/invalidInput`` unless `name` follows S3's general-purpose bucket naming rules:
    /// 3–63 characters of lower-case letters, digits, dots and hyphens, starting and ending with a letter or
    /// digit, no `..`, not shaped like an IPv4 address, no `xn--`/`sthree-` prefix, no `-s3alias`/`--ol-s3` suffix.
    public static func validateBucketName(_ name: String) throws(S3Error) {
        func fail(_ reason: String) -> S3Error {
            .invalidInput("invalid bucket name \"\(name)\": \(reason)")
        }
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { throw fail("must be 3 to 63 characters long, not \(bytes.count)") }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."),
                UInt8(ascii: "-"):
                continue
            default:
                throw fail("may hold only lower-case letters, digits, dots and hyphens")
            }
        }
        func isAlnum(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard isAlnum(bytes[0]), isAlnum(bytes[bytes.count - 1]) else {
            throw fail("must start and end with a letter or digit")
        }
        if name.contains("..") { throw fail("must not contain two adjacent dots") }
        if name.contains(".-") || name.contains("-.") { throw fail("must not have a dot next to a hyphen") }
        if isIPv4Shaped(name) { throw fail("must not be formatted as an IP address") }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) {
            throw fail("must not start with \"\(prefix)\"")
        }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(suffix) {
            throw fail("must not end with \"\(suffix)\"")
        }
    }

    /// Throws ``S3Error/Code/invalidInput`` unless `key` is a usable object key: not empty, at most 1,024 bytes.
    public static func validateKey(_ key: String) throws(S3Error) {
        if key.isEmpty { throw .invalidInput("the object key is empty") }
        if key.utf8.count > 1024 {
            throw .invalidInput("the object key is \(key.utf8.count) bytes long; S3 allows 1,024")
        }
    }

    /// Throws ``S3Error/Code/invalidInput`` unless `seconds` is a presigned URL lifetime S3 accepts (1…604800).
    public static func validateExpiry(_ seconds: Int) throws(S3Error) {
        guard (1...604_800).contains(seconds) else {
            throw .invalidInput("the expiry must be 1 to 604800 seconds (7 days), not \(seconds)")
        }
    }

    /// Throws ``S3Error/Code/invalidInput`` unless `id` is an AWS account id (12 decimal digits), as
    /// `x-amz-expected-bucket-owner` takes.
    public static func validateAccountID(_ id: String) throws(S3Error) {
        guard id.utf8.count == 12, id.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .invalidInput("must be a 12-digit AWS account id, not \"\(id)\"")
        }
    }

    /// Whether `name` is four dot-separated decimal numbers 0–255, as an IPv4 address is written.
    static func isIPv4Shaped(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                && (Int(part) ?? 256) <= 255
        }
    }
}
