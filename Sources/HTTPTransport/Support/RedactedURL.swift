/// The parts of a request URL that are safe to print: never the query string or user info,
/// which carry presigned signatures and credentials.
struct RedactedURL: Sendable, Equatable {
    /// `scheme://host:port`, with the default port filled in for http and https.
    let origin: String
    /// The percent-encoded path, without the query or fragment; `/` when empty.
    let path: String
    /// The raw query string (after `?`), kept only to scrub it out of libcurl's messages. Never print it.
    let secretQuery: String

    init(_ url: String) {
        var rest = Substring(url)
        var scheme = ""
        if let range = rest.firstRange(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        }
        let afterAuthority = rest[authorityEnd...]
        let pathEnd = afterAuthority.firstIndex { $0 == "?" || $0 == "#" } ?? afterAuthority.endIndex
        let rawPath = afterAuthority[..<pathEnd]
        path = rawPath.isEmpty ? "/" : String(rawPath)
        if let question = afterAuthority.firstIndex(of: "?") {
            let queryStart = afterAuthority.index(after: question)
            let queryEnd = afterAuthority[queryStart...].firstIndex(of: "#") ?? afterAuthority.endIndex
            secretQuery = String(afterAuthority[queryStart..<queryEnd])
        } else {
            secretQuery = ""
        }
        origin = Self.origin(scheme: scheme, authority: authority)
    }

    private static func origin(scheme: String, authority: Substring) -> String {
        let hasPort: Bool
        if authority.hasPrefix("[") {
            hasPort = authority.contains("]:")
        } else {
            hasPort = authority.contains(":")
        }
        let host = authority.lowercased()
        let prefix = scheme.isEmpty ? "" : "\(scheme)://"
        if hasPort { return prefix + host }
        switch scheme {
        case "http": return "\(prefix)\(host):80"
        case "https": return "\(prefix)\(host):443"
        default: return prefix + host
        }
    }

    /// `text` with any trace of the query string or user info removed, for messages from libcurl.
    func scrub(_ text: String) -> String {
        var result = text
        if !secretQuery.isEmpty, result.contains(secretQuery) {
            result = result.replacing(secretQuery, with: "[redacted]")
        }
        // Anything URL-like that still carries a query: cut it at the `?`.
        let words = result.split(separator: " ", omittingEmptySubsequences: false).map { word -> Substring in
            guard word.contains("://") || word.contains("/"), let question = word.firstIndex(of: "?") else {
                return word
            }
            return word[..<question] + "?[redacted]"
        }
        return words.joined(separator: " ")
    }
}
