import Testing

@testable import Tarball

/// `ExcludeMatcher`'s names-only path (every rule `**/<name>` or `/<name>`) against the general one.
@Suite struct ExcludeNamesOnlyTests {
    static let patternSets: [[String]] = [
        ["auth.json", "mcp-auth.json", "/log/"],
        ["*.tmp", "!keep.tmp", "/[ab]*", "cache/", "!/bcache"],
        ["/*", "!/x"],
        ["?", "/é*", "*.db-wal"],
    ]

    static let names = [
        "auth.json", "mcp-auth.json", "log", "a.tmp", "keep.tmp", "b", "bcache", "x", "é1", "cache", "c.db-wal", "z",
        "ab.json", "",
    ]

    @Test func namesOnlyPathAgreesWithSplitting() {
        for patterns in Self.patternSets {
            let matcher = ExcludeMatcher(patterns: patterns)
            var paths: [String] = []
            for first in Self.names {
                paths.append(first)
                for second in Self.names {
                    paths.append(first + "/" + second)
                    paths.append("d/" + first + "/" + second)
                }
            }
            paths += ["/log", "log/", "a//log", "/", "./x"]
            for path in paths {
                for isDirectory in [false, true] {
                    #expect(
                        matcher.matches(path, isDirectory: isDirectory)
                            == matcher.matchesBySplitting(path, isDirectory: isDirectory),
                        "\(patterns) \(path) directory: \(isDirectory)")
                }
            }
        }
    }

    @Test func openCodeDefaultsStillExclude() {
        let matcher = ExcludeMatcher(patterns: ["auth.json", "mcp-auth.json", "/log/"])
        #expect(matcher.matches("auth.json", isDirectory: false))
        #expect(matcher.matches("a/b/mcp-auth.json", isDirectory: false))
        #expect(matcher.matches("log", isDirectory: true))
        #expect(!matcher.matches("log", isDirectory: false))
        #expect(!matcher.matches("sub/log", isDirectory: true))
        #expect(!matcher.matches("message/ses_1/msg_0001.json", isDirectory: false))
    }
}
