/// One-line summaries of results, for people.
extension SaveResult {
    /// `saved 'key': 4204 files, 100 MiB -> 12.3 MiB archive in 0.41 s`.
    public var summaryLine: String {
        switch outcome {
        case .exists:
            return "exists '\(key)': kept the existing entry (entries are immutable; --overwrite replaces it)"
        case .skipped:
            return "skipped '\(key)': \(message ?? "writing is not allowed")"
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

extension CacheRestoreReport {
    /// `restored 'key' (exact match) from the local cache into DIR: 4204 files, 100 MiB in 1.8 s`; `s3` names the S3
    /// copy in a miss line.
    public func summaryLine(s3: String? = nil) -> String {
        // Nothing was asked (cache-mode): the notices say why.
        if skippedByMode { return notices.joined(separator: "; ") }
        // Which store won and why, when S3 was part of the choice (freshness).
        let why = s3 != nil && outcome == .hit ? sourceReason.map { " [\($0)]" } ?? "" : ""
        return line(s3: s3) + why
    }

    private func line(s3: String?) -> String {
        switch (outcome, source) {
        case (.hit, .s3):
            if lookupOnly {
                return "hit \(matchedKey ?? "S3"): \(files) files, \(ByteCount.format(contentBytes)) in S3"
            }
            return "restored \(matchedKey ?? "the S3 copy") into \(destination): \(files) files, "
                + "\(ByteCount.format(contentBytes)) in \(AgeLimit.format(duration))"
                + (primaryWarmed ? "; warmed the \(primaryStore ?? "primary") cache under '\(key)'" : "")
        case (.hit, _):
            let kind = exactMatch ? "exact match" : "restore-key match for '\(key)'"
            if lookupOnly {
                return "hit '\(matchedKey ?? key)' (\(kind)): \(ByteCount.format(bytes)) archive, \(files) files"
            }
            return "restored '\(matchedKey ?? key)' (\(kind)) into \(destination): \(files) files, "
                + "\(ByteCount.format(contentBytes)) in \(AgeLimit.format(duration))"
        case (.miss, _):
            let places = [primaryStore.map { "the \($0) cache" }, s3].compactMap { $0 }.joined(separator: " or ")
            return "miss: no entry for '\(key)' or its restore keys in \(places)"
                + (lookupOnly ? "" : "; \(destination) is untouched")
        case (.corrupted, _):
            return "corrupted: \(message ?? "cache entry '\(matchedKey ?? key)' is damaged")"
        }
    }
}

extension CacheSaveReport {
    /// The primary's line (`saved 'key': …`), then the S3 push's.
    public var summaryLine: String {
        var lines: [String] = []
        if let primary { lines.append(primary.summaryLine) }
        if let s3 {
            switch s3.outcome {
            case "failed":
                lines.append("S3: push to \(s3.location) failed (see the warning)")
            case "conflict":
                let kept = s3.conflict?.recordKey.map { "; rejected manifest kept at \($0)" } ?? ""
                lines.append(
                    "S3: not pushed to \(s3.location): generation \(s3.generation.map(String.init) ?? "-") is newer "
                        + "than the base \(s3.conflict.map { String($0.baseGeneration) } ?? "-")\(kept)")
            default:
                lines.append(
                    "S3: \(s3.outcome) \(s3.location) generation \(s3.generation.map(String.init) ?? "-"): "
                        + "\(s3.uploadedFiles) files uploaded (\(ByteCount.format(s3.uploadedBytes))), "
                        + "\(s3.deletedObjects) deleted, \(s3.files) files in S3")
            }
        }
        if lines.isEmpty { lines = notices }
        return lines.joined(separator: "\n")
    }
}
