import Hashing
import Logging
import Tarball

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes a consistent staging copy of a directory for archiving or uploading, while the agent goes on writing.
///
/// Every regular file that starts with the SQLite 3 header is copied through SQLite's online backup API (one
/// committed state, never a torn file) and checked with `PRAGMA quick_check`; its `-wal`, `-shm` and `-journal`
/// companions are left out. Other regular files are hard-linked (copied when the staging tree is on another file
/// system), directories and symlinks recreated, excluded paths left out. A database that stays locked beyond
/// ``CaptureOptions/lockWait`` or fails its check is replaced by its last good copy (from
/// ``CaptureOptions/stateDirectory``) or left out, with a warning; a capture never hangs on a database.
public enum TreeCapture {
    /// Captures `source` into a new staging directory. The caller archives or uploads ``CapturedTree/path`` and
    /// then calls ``CapturedTree/remove()``.
    public static func capture(source: String, options: CaptureOptions = CaptureOptions(), logger: Logger)
        throws(CaptureError) -> CapturedTree
    {
        let source = source.count > 1 && source.hasSuffix("/") ? String(source.dropLast()) : source
        guard let info = CaptureFiles.lstatPath(source), CaptureFiles.kind(info) == S_IFDIR else {
            throw CaptureError(.invalidSource, "\(source) is not a directory")
        }
        let staging = try makeStaging(for: source, options: options)
        var run = CaptureRun(
            source: source, staging: staging, options: options, matcher: ExcludeMatcher(patterns: options.excludes),
            logger: logger)
        do throws(CaptureError) {
            try run.copyDirectory("")
        } catch {
            CaptureFiles.removeTree(staging)
            throw error
        }
        chmod(staging, info.st_mode & 0o7777)
        CaptureFiles.setTimes(staging, from: info)
        for warning in run.warnings { logger.warning("\(warning)") }
        logger.debug(
            "captured \(source) into \(staging): \(run.databases.count) databases, \(run.skipped.count) skipped")
        return CapturedTree(
            path: staging, source: source, databases: run.databases, reusedDatabases: run.reused,
            skippedDatabases: run.skipped, omittedCompanions: run.companions, warnings: run.warnings,
            images: run.images)
    }

    /// Convenience: ``capture(source:options:logger:)`` with only exclude patterns.
    public static func capture(source: String, excludes: [String], logger: Logger) throws(CaptureError)
        -> CapturedTree
    {
        try capture(source: source, options: CaptureOptions(excludes: excludes), logger: logger)
    }

    /// Whether any regular file under `source` (not excluded by `excludes`) starts with the SQLite header, read
    /// without creating anything. A tree without databases can be archived in place: no staging tree, and no
    /// hard links that would move every file's ctime (which the sync hash cache keys on).
    public static func containsDatabases(source: String, excludes: [String]) -> Bool {
        let matcher = ExcludeMatcher(patterns: excludes)
        func walk(_ relative: String) -> Bool {
            let directory = relative.isEmpty ? source : source + "/" + relative
            for name in CaptureFiles.list(directory)?.names ?? [] {
                let path = relative.isEmpty ? name : relative + "/" + name
                guard let info = CaptureFiles.lstatPath(directory + "/" + name) else { continue }
                let kind = CaptureFiles.kind(info)
                if matcher.matches(path, isDirectory: kind == S_IFDIR) { continue }
                if kind == S_IFDIR, walk(path) { return true }
                if kind == S_IFREG, info.st_size >= 100, CaptureFiles.hasSQLiteHeader(directory + "/" + name) {
                    return true
                }
            }
            return false
        }
        return walk("")
    }

    /// A new empty staging directory: under ``CaptureOptions/stagingParent``, else beside `source` (same file
    /// system), else in the temporary directory.
    static func makeStaging(for source: String, options: CaptureOptions) throws(CaptureError) -> String {
        let slash = source.lastIndex(of: "/")
        let name = slash.map { String(source[source.index(after: $0)...]) } ?? source
        let parent = slash.map { $0 == source.startIndex ? "/" : String(source[..<$0]) } ?? "."
        var candidates: [String] = []
        if let given = options.stagingParent {
            candidates = [given]
        } else {
            candidates = [parent, getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"]
        }
        removeLeftovers(in: parent, name: name)
        var lastError = ""
        for directory in candidates {
            _ = CaptureFiles.makeDirectories(directory)
            let path =
                (directory.hasSuffix("/") ? directory : directory + "/") + "." + name + ".sc-capture-"
                + CaptureFiles.randomSuffix()
            if mkdir(path, 0o700) == 0 { return path }
            lastError = "\(path): \(CaptureFiles.errorText())"
        }
        throw CaptureError(.io, "cannot create a staging directory for \(source) (\(lastError))")
    }

    /// Removes staging trees of crashed captures (older than an hour, so a concurrent capture keeps its own).
    static func removeLeftovers(in parent: String, name: String) {
        let prefix = "." + name + ".sc-capture-"
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        for entry in CaptureFiles.list(parent)?.names ?? [] where entry.hasPrefix(prefix) {
            let path = parent + "/" + entry
            if let info = CaptureFiles.lstatPath(path), now.tv_sec - info.st_mtim.tv_sec > 3600 {
                CaptureFiles.removeTree(path)
            }
        }
    }

    /// Where the last good copy of `relativePath` in `source` is kept.
    static func lastGoodPath(stateDirectory: String, source: String, relativePath: String) -> String {
        let id = Digest.sha256Hex(Array((source + "\n" + relativePath).utf8)).prefix(24)
        return stateDirectory + "/captured-databases/" + id + ".sqlite"
    }
}

/// The state of one capture as it walks the tree.
struct CaptureRun {
    let source: String
    let staging: String
    let options: CaptureOptions
    let matcher: ExcludeMatcher
    let logger: Logger
    var databases: [String] = []
    var reused: [String] = []
    var skipped: [String] = []
    var companions: [String] = []
    var warnings: [String] = []
    var images: [DatabaseImage] = []

    init(source: String, staging: String, options: CaptureOptions, matcher: ExcludeMatcher, logger: Logger) {
        self.source = source
        self.staging = staging
        self.options = options
        self.matcher = matcher
        self.logger = logger
    }

    private func join(_ base: String, _ relative: String) -> String {
        relative.isEmpty ? base : base + "/" + relative
    }

    /// The relative path of `name` in the directory at relative path `parent` ("" for the root).
    private func child(_ parent: String, _ name: String) -> String {
        parent.isEmpty ? name : parent + "/" + name
    }

    /// Stages the directory at `relative` (already created, except the root), then its entries.
    mutating func copyDirectory(_ relative: String) throws(CaptureError) {
        let from = join(source, relative)
        guard let listing = CaptureFiles.list(from) else {
            if relative.isEmpty { throw CaptureError(.io, "cannot read \(from): \(CaptureFiles.errorText())") }
            warnings.append("skipped \(relative)/: cannot read it (\(CaptureFiles.errorText()))")
            return
        }
        if listing.undecodable > 0 {
            warnings.append(
                "skipped \(listing.undecodable) entries of \(relative.isEmpty ? "." : relative) with non-UTF-8 names")
        }
        var entries: [(name: String, info: stat)] = []
        for name in listing.names {
            guard let info = CaptureFiles.lstatPath(from + "/" + name) else { continue }  // removed meanwhile
            entries.append((name, info))
        }
        // Databases first, so their companions are known before the companions are met.
        let databaseNames = Set(
            entries.filter { CaptureFiles.kind($0.info) == S_IFREG && $0.info.st_size >= 100 }.map(\.name).filter {
                let path = child(relative, $0)
                return !matcher.matches(path, isDirectory: false) && CaptureFiles.hasSQLiteHeader(from + "/" + $0)
            })
        for (name, info) in entries {
            let path = child(relative, name)
            let kind = CaptureFiles.kind(info)
            if matcher.matches(path, isDirectory: kind == S_IFDIR) { continue }
            if kind == S_IFREG, let base = companionBase(name), databaseNames.contains(base) {
                companions.append(path)
                continue
            }
            let target = join(staging, path)
            switch kind {
            case S_IFDIR:
                guard mkdir(target, 0o700) == 0 else {
                    throw CaptureError(.io, "cannot create \(target): \(CaptureFiles.errorText())")
                }
                try copyDirectory(path)
                chmod(target, info.st_mode & 0o7777)
                CaptureFiles.setTimes(target, from: info)
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(join(source, path), &buffer, buffer.count - 1)
                guard n >= 0 else {
                    warnings.append("skipped \(path): cannot read the link (\(CaptureFiles.errorText()))")
                    continue
                }
                buffer[n] = 0
                guard symlink(buffer, target) == 0 else {
                    throw CaptureError(.io, "cannot create the link \(target): \(CaptureFiles.errorText())")
                }
                CaptureFiles.setTimes(target, from: info)
            case S_IFREG where databaseNames.contains(name):
                if captureDatabase(path, info: info) { CaptureFiles.setTimes(target, from: info) }
            case S_IFREG:
                do throws(CaptureError) {
                    try CaptureFiles.linkOrCopy(join(source, path), to: target, mode: info.st_mode)
                } catch {
                    if CaptureFiles.lstatPath(join(source, path)) == nil { continue }  // removed meanwhile
                    warnings.append("skipped \(path): \(error.message)")
                }
            default:
                warnings.append("skipped \(path): not a regular file, directory or symlink")
            }
        }
    }

    /// The database name a companion file belongs to, if `name` ends in a companion suffix.
    private func companionBase(_ name: String) -> String? {
        for suffix in SQLiteBackup.companionSuffixes where name.hasSuffix(suffix) && name.count > suffix.count {
            return String(name.dropLast(suffix.count))
        }
        return nil
    }

    /// Captures the database at `path`: into memory when ``CaptureOptions/imageChunkSize`` asks for it (a staging
    /// file for a small one), else (or when the direct read meets anything unusual) through the backup API; on
    /// failure falls back to its last good copy. Returns whether the staging tree holds the database file.
    @discardableResult
    mutating func captureDatabase(_ path: String, info: stat) -> Bool {
        let mode = info.st_mode
        if options.imageChunkSize != nil {
            switch captureImage(path, info: info) {
            case .captured(let staged): return staged
            case .failed(let failure): return useLastGood(path, mode: mode, reason: failure)
            case .fallback(let why): logger.debug("database \(path): \(why); copying it with the backup API")
            }
        }
        let from = join(source, path)
        let target = join(staging, path)
        do throws(SQLiteBackup.Failure) {
            try SQLiteBackup.copy(
                source: from, to: target, wait: options.lockWait, pagesPerStep: options.pagesPerStep)
            chmod(target, mode & 0o7777)
            databases.append(path)
            keepLastGood(path, copy: target)
            return true
        } catch {
            return useLastGood(path, mode: mode, reason: error.busy ? lockedReason : error.message)
        }
    }

    private var lockedReason: String { "locked beyond \(formatted(options.lockWait)) s" }

    private enum ImageOutcome {
        case captured(staged: Bool)
        case failed(String)
        case fallback(String)
    }

    /// ``SQLiteImage`` for `path`: a large image stays in memory (``images``), a small one is written to staging.
    private mutating func captureImage(_ path: String, info: stat) -> ImageOutcome {
        let captured: SQLiteImage.Captured
        do throws(SQLiteImage.Failure) {
            captured = try SQLiteImage.capture(
                source: join(source, path), wait: options.lockWait, chunkSize: options.imageChunkSize ?? 0,
                maxBytes: options.imageMaximumSize)
        } catch {
            if error.fallback { return .fallback(error.message) }
            return .failed(error.busy ? lockedReason : error.message)
        }
        let mode = info.st_mode
        logger.debug(
            "database \(path): image read in \(milliseconds(captured.readSeconds)) ms, then hashed in \(milliseconds(captured.hashSeconds)) ms; checked in \(milliseconds(captured.checkSeconds)) ms from the start of the read"
        )
        if captured.buffer.count >= Int(clamping: options.imageMinimumSize) {
            images.append(
                DatabaseImage(
                    path: path, buffer: captured.buffer, sha256: captured.sha256,
                    chunkSize: options.imageChunkSize ?? 0, chunkDigests: captured.chunkDigests,
                    mode: UInt32(mode & 0o1777),
                    mtime: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9))
            databases.append(path)
            // A last good copy older than this capture must never stand in for it later.
            if let state = options.stateDirectory {
                unlink(TreeCapture.lastGoodPath(stateDirectory: state, source: source, relativePath: path))
            }
            return .captured(staged: false)
        }
        let target = join(staging, path)
        do throws(CaptureError) {
            try CaptureFiles.writeFile(captured.buffer.all, to: target, mode: mode)
        } catch {
            return .fallback(error.message)
        }
        databases.append(path)
        keepLastGood(path, copy: target)
        return .captured(staged: true)
    }

    /// Stages the last good copy of `path` in place of a failed capture, else records it as skipped.
    private mutating func useLastGood(_ path: String, mode: mode_t, reason: String) -> Bool {
        let target = join(staging, path)
        if let state = options.stateDirectory {
            let good = TreeCapture.lastGoodPath(stateDirectory: state, source: source, relativePath: path)
            if CaptureFiles.lstatPath(good) != nil,
                (try? CaptureFiles.linkOrCopy(good, to: target, mode: mode)) != nil
            {
                chmod(target, mode & 0o7777)
                databases.append(path)
                reused.append(path)
                warnings.append("database \(path) not captured (\(reason)); saved its last good copy instead")
                return true
            }
        }
        skipped.append(path)
        warnings.append(
            "database \(path) skipped (\(reason)): no consistent copy could be taken, and no last good copy exists")
        return false
    }

    /// Records `copy` as the last good copy of `path` (a hard link when possible); failures only warn.
    private mutating func keepLastGood(_ path: String, copy: String) {
        guard let state = options.stateDirectory else { return }
        let good = TreeCapture.lastGoodPath(stateDirectory: state, source: source, relativePath: path)
        let directory = String(good[..<good.lastIndex(of: "/")!])
        guard CaptureFiles.makeDirectories(directory) else {
            warnings.append("cannot keep the last good copy of \(path) in \(directory): \(CaptureFiles.errorText())")
            return
        }
        let temporary = good + ".tmp-" + CaptureFiles.randomSuffix()
        do throws(CaptureError) {
            try CaptureFiles.linkOrCopy(copy, to: temporary, mode: 0o600)
            guard rename(temporary, good) == 0 else {
                throw CaptureError(.io, "cannot rename \(temporary): \(CaptureFiles.errorText())")
            }
        } catch {
            unlink(temporary)
            warnings.append("cannot keep the last good copy of \(path): \(error.message)")
        }
    }

    private func milliseconds(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }

    private func formatted(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
