import HTTPTransport
import Hashing

/// The parts of an already-encoded URL that SigV4 signs, split without decoding anything.
struct SigV4URL {
    /// `scheme://authority`, as given.
    var prefix: String
    /// The lower-cased scheme.
    var scheme: String
    /// The `host` header value: lower-cased host (IPv6 in brackets), `:port` only when not the default.
    var hostHeader: String
    /// The path as given, `/` when empty.
    var path: String
    /// The query string after `?` (without the `#fragment`), empty when absent.
    var query: String

    init(_ url: String) {
        var rest = Substring(url)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var scheme = ""
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        prefix = scheme.isEmpty ? String(authority) : "\(scheme)://\(authority)"
        rest = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = Substring(authority)
        var port = ""
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = String(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = String(authority[authority.index(after: colon)...])
        }
        let defaultPort = scheme == "https" ? "443" : scheme == "http" ? "80" : ""
        let numericPort = Int(port).map(String.init) ?? port
        hostHeader = host.lowercased() + (numericPort.isEmpty || numericPort == defaultPort ? "" : ":\(numericPort)")
        self.scheme = scheme
        if let question = rest.firstIndex(of: "?") {
            path = String(rest[..<question])
            query = String(rest[rest.index(after: question)...])
        } else {
            path = String(rest)
            query = ""
        }
        if path.isEmpty { path = "/" }
    }
}

/// Canonical header lines and the `SignedHeaders` list.
struct CanonicalHeaders {
    /// `name:value\n` for each signed header, sorted by name.
    var text: String
    /// `name;name;…`
    var signedHeaders: String
}

extension SigV4Signer {
    /// Query parameters re-encoded canonically (decoded, then encoded with `/` encoded), in their given order.
    /// A name without `=` gets an empty value (`?lifecycle` → `lifecycle=`); empty segments are dropped.
    func queryPairs(_ query: String) -> [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let name: Substring
            let value: Substring
            if let eq = pair.firstIndex(of: "=") {
                name = pair[..<eq]
                value = pair[pair.index(after: eq)...]
            } else {
                name = pair
                value = ""
            }
            return (
                AWSURIEncoding.normalize(String(name), keepSlash: false),
                AWSURIEncoding.normalize(String(value), keepSlash: false)
            )
        }
    }

    /// The canonical query string: pairs sorted by encoded name, then encoded value, byte-wise.
    func canonicalQuery(_ query: String) -> String {
        queryPairs(query)
            .sorted { a, b in
                if a.name != b.name { return a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }
                return a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
            }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
    }

    /// Canonical headers from `headers` minus ``unsignedHeaderNames``, with `host` added when missing.
    /// Values are trimmed and inner runs of whitespace collapse to one space; repeated names join with `,`.
    func canonicalHeaders(_ headers: HTTPHeaders, host: String) -> CanonicalHeaders {
        var values: [String: [String]] = [:]
        for field in headers {
            let name = field.name.trimmingASCIIWhitespace().lowercased()
            guard !Self.unsignedHeaderNames.contains(name) else { continue }
            values[name, default: []].append(field.value.collapsingASCIIWhitespace())
        }
        if values["host"] == nil { values["host"] = [host] }
        let names = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var text = ""
        for name in names {
            text += name + ":" + values[name]!.joined(separator: ",") + "\n"
        }
        return CanonicalHeaders(text: text, signedHeaders: names.joined(separator: ";"))
    }

    /// The canonical request: method, path as given, canonical query, headers, signed headers, payload hash.
    func canonicalRequest(
        method: String, parts: SigV4URL, canonicalQuery: String, headers: CanonicalHeaders, payloadHash: String
    ) -> String {
        [method.uppercased(), parts.path, canonicalQuery, headers.text, headers.signedHeaders, payloadHash]
            .joined(separator: "\n")
    }

    /// `yyyyMMdd/region/service/aws4_request`.
    func credentialScope(day: String) -> String {
        "\(day)/\(region)/\(service)/aws4_request"
    }

    /// The string to sign for `canonicalRequest`.
    func stringToSign(canonicalRequest: String, timestamp: String, scope: String) -> String {
        "\(Self.algorithm)\n\(timestamp)\n\(scope)\n\(Digest.sha256Hex(Array(canonicalRequest.utf8)))"
    }

    /// The hex signature of `canonicalRequest`.
    func signature(
        canonicalRequest: String, timestamp: String, day: String, scope: String, secretAccessKey: String
    ) -> String {
        let key = SigningKeyCache.shared.key(
            secretAccessKey: secretAccessKey, day: day, region: region, service: service)
        let toSign = stringToSign(canonicalRequest: canonicalRequest, timestamp: timestamp, scope: scope)
        return Hex.encode(Digest.hmacSHA256(key: key, message: toSign))
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start].isASCIIWhitespace { start += 1 }
        while end > start, bytes[end - 1].isASCIIWhitespace { end -= 1 }
        if start == 0, end == bytes.count { return self }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Trims and collapses each run of ASCII whitespace to one space (SigV4's `Trimall`).
    func collapsingASCIIWhitespace() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var pendingSpace = false
        for byte in utf8 {
            if byte.isASCIIWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension UInt8 {
    fileprivate var isASCIIWhitespace: Bool {
        self == 0x20 || self == 0x09 || self == 0x0a || self == 0x0d || self == 0x0b || self == 0x0c
    }
}
