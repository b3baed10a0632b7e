/// One-line summaries of results, for people.
extension SaveResult {
    /// `saved 'key': 4204 files, 100 MiB -> 12.3 MiB archive in 0.41 s`.
    public var summaryLine: String {
        switch outcome {
        case .exists:
            return "exists '\(key)': kept the existing entry (entries are immutable; --overwrite replaces it)"
        case .saved, .overwritten:
            var line = "\(outcome == .saved ? "saved" : "overwrote") '\(key)': \(files) files, "
            line += "\(ByteCount.format(contentBytes)) -> \(ByteCount.format(bytes)) archive "
            line += "in \(AgeLimit.format(duration))"
            if !evicted.isEmpty { line += "; evicted \(evicted.count) old entr\(evicted.count == 1 ? "y" : "ies")" }
            return line
        }
    }
}

extension RestoreResult {
    /// `restored 'key' (exact match) into DIR: 4204 files, 100 MiB in 1.8 s`.
    public var summaryLine: String {
        switch outcome {
        case .hit:
            let kind = exactMatch ? "exact match" : "restore-key match for '\(key)'"
            return "restored '\(matchedKey ?? key)' (\(kind)) into \(destination): \(files) files, "
                + "\(ByteCount.format(contentBytes)) in \(AgeLimit.format(duration))"
        case .miss:
            return "miss: no cache entry for '\(key)' or its restore keys; \(destination) is untouched"
        case .corrupted:
            return "corrupted: \(message ?? "cache entry '\(matchedKey ?? key)' is damaged")"
        }
    }
}

extension LookupResult {
    /// `hit 'key' (exact match): 12.3 MiB archive, 4204 files`.
    public var summaryLine: String {
        switch outcome {
        case .hit:
            let kind = exactMatch ? "exact match" : "restore-key match for '\(key)'"
            return "hit '\(matchedKey ?? key)' (\(kind)): \(ByteCount.format(bytes)) archive, \(files) files"
        case .miss:
            return "miss: no cache entry for '\(key)' or its restore keys"
        case .corrupted:
            return "corrupted: \(message ?? "cache entry '\(matchedKey ?? key)' is damaged")"
        }
    }
}

extension ArchiveResult {
    /// `<archive>: 4204 files, 100 MiB, 12.3 MiB archive, sha256 ab12…, 0.4 s`.
    public var summaryLine: String {
        "\(archive) <-> \(path): \(files) files, \(directories) directories, \(symlinks) symlinks, "
            + "\(ByteCount.format(contentBytes)) content, \(ByteCount.format(bytes)) archive, sha256 \(sha256), "
            + "\(AgeLimit.format(duration))"
    }
}

extension PruneResult {
    /// `pruned 2 entries (1.2 GiB); 5 entries (3.4 GiB) left`.
    public var summaryLine: String {
        "pruned \(removed.count) entr\(removed.count == 1 ? "y" : "ies") (\(ByteCount.format(freedBytes))); "
            + "\(kept) entr\(kept == 1 ? "y" : "ies") (\(ByteCount.format(keptBytes))) left"
    }
}
