/// The lexical rules every entry path and link target must follow to stay inside the extracted tree.
enum EntryPath {
    private static let slash = UInt8(ascii: "/")
    private static let dot: [UInt8] = [0x2e]
    private static let dotDot: [UInt8] = [0x2e, 0x2e]

    /// The components of an entry path, with `.` and empty components dropped; nil when the path is absolute or
    /// has a `..` component. An empty result is the root itself (`./`).
    static func components(of path: [UInt8]) -> [[UInt8]]? {
        if path.first == slash { return nil }
        var out: [[UInt8]] = []
        for part in path.split(separator: slash, omittingEmptySubsequences: true) {
            let component = Array(part)
            if component == dot { continue }
            if component == dotDot { return nil }
            out.append(component)
        }
        return out
    }

    /// Whether a symlink at `entry` (components, already checked) with `target` resolves inside the tree.
    ///
    /// Sound without looking at the disk: `..` may appear only as a leading run, no longer than the depth of
    /// the link's own (real) directory, and every other component descends. A descent through another link that
    /// passed the same rule stays inside too, so chains of links cannot escape. Absolute targets are refused.
    static func symlinkStaysInside(entry: [[UInt8]], target: [UInt8]) -> Bool {
        if target.isEmpty || target.first == slash { return false }
        let depth = entry.count - 1
        var ups = 0
        var descended = false
        for part in target.split(separator: slash, omittingEmptySubsequences: true) {
            let component = Array(part)
            if component == dot { continue }
            if component == dotDot {
                if descended { return false }
                ups += 1
                if ups > depth { return false }
            } else {
                descended = true
            }
        }
        return true
    }
}
