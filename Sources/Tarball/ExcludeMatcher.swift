#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// gitignore-like exclude patterns over paths relative to a root directory.
///
/// - A pattern without `/` (other than a trailing one) matches a name at any depth: `*.log`, `node_modules`.
/// - A trailing `/` matches directories only: `tmp/`.
/// - A leading `/`, or a `/` in the middle, anchors the pattern at the root: `/build`, `cache/*.tmp`.
/// - `*`, `?` and `[...]` match within one path component; `**` spans any number of components: `**/*.db-shm`.
/// - A leading `!` re-includes what an earlier pattern excluded; the last matching pattern wins. As in git, a
///   path inside an excluded directory stays excluded.
/// - Blank lines and lines starting with `#` are ignored.
public struct ExcludeMatcher: Sendable {
    private struct Rule: Sendable {
        var segments: [String]
        var negated: Bool
        var directoryOnly: Bool

        /// Whether the rule looks only at the last component: `**/<name>` (a pattern without `/`).
        var lastComponentOnly: Bool { segments.count == 2 && segments[0] == "**" && segments[1] != "**" }
        /// Whether the rule matches only a top-level name: `/<name>`.
        var topLevelOnly: Bool { segments.count == 1 && segments[0] != "**" }
    }

    private let rules: [Rule]
    /// Whether every rule is `**/<name>` or `/<name>`: then a path's last component (and whether it has a `/`)
    /// decides, without splitting it (a tree walk asks for every entry).
    private let namesOnly: Bool

    /// The matcher for `patterns`, in order.
    public init(patterns: [String]) {
        var rules: [Rule] = []
        for raw in patterns {
            var text = Substring(raw)
            while let last = text.last, last == " " || last == "\n" || last == "\r" { text = text.dropLast() }
            if text.isEmpty || text.hasPrefix("#") { continue }
            var negated = false
            if text.hasPrefix("!") {
                negated = true
                text = text.dropFirst()
            }
            var directoryOnly = false
            while text.hasSuffix("/") {
                directoryOnly = true
                text = text.dropLast()
            }
            var anchored = false
            while text.hasPrefix("/") {
                anchored = true
                text = text.dropFirst()
            }
            if text.contains("/") { anchored = true }
            var segments = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            if segments.isEmpty { continue }
            if !anchored { segments.insert("**", at: 0) }
            rules.append(Rule(segments: segments, negated: negated, directoryOnly: directoryOnly))
        }
        self.rules = rules
        namesOnly = rules.allSatisfy { $0.lastComponentOnly || $0.topLevelOnly }
    }

    /// Whether there are no patterns at all.
    public var isEmpty: Bool { rules.isEmpty }

    /// Whether the patterns exclude `relativePath` itself (not looking at its parent directories): what a walk
    /// that skips excluded directories needs. `relativePath` uses `/` and has no leading `./`.
    public func matches(_ relativePath: String, isDirectory: Bool) -> Bool {
        if rules.isEmpty { return false }
        let utf8 = relativePath.utf8
        if namesOnly, let first = utf8.first, first != UInt8(ascii: "/"), utf8.last != UInt8(ascii: "/") {
            let slash = utf8.lastIndex(of: UInt8(ascii: "/"))
            let name = slash.map { String(relativePath[relativePath.index(after: $0)...]) } ?? relativePath
            var excluded = false
            for rule in rules {
                if rule.directoryOnly && !isDirectory { continue }
                if rule.negated != excluded { continue }
                if rule.topLevelOnly && slash != nil { continue }
                if fnmatch(rule.segments[rule.segments.count - 1], name, 0) == 0 { excluded = !rule.negated }
            }
            return excluded
        }
        return matchesBySplitting(relativePath, isDirectory: isDirectory)
    }

    /// ``matches(_:isDirectory:)`` through every component (what any rule needs).
    func matchesBySplitting(_ relativePath: String, isDirectory: Bool) -> Bool {
        let components = relativePath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return matches(components: components[...], isDirectory: isDirectory)
    }

    /// Whether `relativePath` is excluded, itself or through an excluded parent directory: what a flat list of
    /// file paths (an S3 listing) needs.
    public func excludes(_ relativePath: String, isDirectory: Bool) -> Bool {
        let components = relativePath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !components.isEmpty else { return false }
        for end in 1..<components.count where matches(components: components[..<end], isDirectory: true) {
            return true
        }
        return matches(components: components[...], isDirectory: isDirectory)
    }

    private func matches(components: ArraySlice<String>, isDirectory: Bool) -> Bool {
        var excluded = false
        for rule in rules {
            if rule.directoryOnly && !isDirectory { continue }
            if rule.negated != excluded { continue }
            if Self.match(rule.segments[...], components) { excluded = !rule.negated }
        }
        return excluded
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            if rest.isEmpty { return !path.isEmpty }  // `dir/**`: everything inside, not `dir` itself
            var tail = path
            while true {
                if match(rest, tail) { return true }
                if tail.isEmpty { return false }
                tail = tail.dropFirst()
            }
        }
        guard let name = path.first, fnmatch(first, name, 0) == 0 else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}
