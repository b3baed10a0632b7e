/// S3's URI-encoding rules for SigV4: every byte except `A-Z a-z 0-9 - . _ ~` is percent-encoded as `%XX`
/// (upper-case hex), and `/` is kept only where asked (object key paths).
///
/// Encode an object key exactly once (`keepSlash: true`) when building a URL; the signer takes the path as given
/// and never encodes it again (S3 uses no double encoding and no path normalisation).
public enum AWSURIEncoding {
    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Encodes `text` once. With `keepSlash`, `/` is left as is (for paths).
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        String(decoding: encode(bytes: Array(text.utf8), keepSlash: keepSlash), as: UTF8.self)
    }

    /// Decodes `%XX` escapes (either case) back to bytes. A `%` not followed by two hex digits stays as is, and
    /// `+` stays `+` (S3 query strings are not form-encoded). Invalid UTF-8 is replaced, as `String(decoding:)` does.
    public static func decode(_ text: String) -> String {
        String(decoding: decode(bytes: Array(text.utf8)), as: UTF8.self)
    }

    /// Re-encodes already-encoded text canonically: decodes it once, then encodes it once, byte for byte.
    /// Text encoded with ``encode(_:keepSlash:)`` comes back unchanged; lower-case escapes become upper-case.
    public static func normalize(_ text: String, keepSlash: Bool) -> String {
        String(decoding: encode(bytes: decode(bytes: Array(text.utf8)), keepSlash: keepSlash), as: UTF8.self)
    }

    static func encode(bytes: [UInt8], keepSlash: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            }
        }
        return out
    }

    static func decode(bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "%")) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
