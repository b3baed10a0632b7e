import Dispatch
import Foundation
import Hashing
import Tarball

#if canImport(Glibc)
    import Glibc
#endif

/// Walks a storage tree and describes every file, symlink and empty directory, hashing files in parallel.
///
/// Excluded paths and files over the size limits are left out and named in ``ScannedTree/skipped``. A file that
/// changes while it is hashed is re-read (twice at most), then skipped with a reason.
public struct TreeScanner: Sendable {
    /// gitignore-like exclude patterns.
    public var excludes: ExcludeMatcher
    /// Files larger than this are skipped.
    public var maxFileSize: Int64?
    /// When the kept files' total would exceed this, the largest files are skipped until it fits.
    public var maxTotalSize: Int64?
    /// Threads hashing at once.
    public var concurrency: Int

    public init(
        excludes: [String] = [], maxFileSize: Int64? = nil, maxTotalSize: Int64? = nil,
        concurrency: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)
    ) {
        self.excludes = ExcludeMatcher(patterns: excludes)
        self.maxFileSize = maxFileSize
        self.maxTotalSize = maxTotalSize
        self.concurrency = concurrency
    }

    private struct Candidate {
        var path: String
        var absolute: String
        var stamp: FileHashCache.Stamp
        var mode: UInt32
        var mtime: Double
    }

    /// Scans `root`. A missing root is an empty tree; a root that is not a directory is an error.
    public func scan(root: String, cache: inout FileHashCache) throws(SyncError) -> ScannedTree {
        var st = stat()
        if lstat(root, &st) != 0 {
            if errno == ENOENT { return ScannedTree(entries: [], skipped: [], hashedFiles: 0) }
            throw SyncError(.io, "cannot read \(root): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw SyncError(.invalidInput, "\(root) is not a directory") }

        var entries: [ManifestEntry] = []
        var skipped: [ScannedTree.Skipped] = []
        var candidates: [Candidate] = []
        walk(root: root, relative: "", entries: &entries, skipped: &skipped, candidates: &candidates)

        if let limit = maxFileSize {
            candidates.removeAll { candidate in
                guard candidate.stamp.size > limit else { return false }
                skipped.append(.init(path: candidate.path, reason: "larger than the per-file limit of \(limit) bytes"))
                return true
            }
        }
        if let limit = maxTotalSize {
            var total = candidates.reduce(Int64(0)) { $0 + $1.stamp.size }
            if total > limit {
                let bySize = candidates.indices.sorted { candidates[$0].stamp.size > candidates[$1].stamp.size }
                var drop = Set<Int>()
                for index in bySize where total > limit {
                    drop.insert(index)
                    total -= candidates[index].stamp.size
                    skipped.append(
                        .init(path: candidates[index].path, reason: "the total size limit of \(limit) bytes is reached")
                    )
                }
                candidates = candidates.indices.filter { !drop.contains($0) }.map { candidates[$0] }
            }
        }

        let hashed = hash(candidates, cache: &cache)
        for (candidate, result) in zip(candidates, hashed) {
            switch result {
            case .success(let digest):
                entries.append(
                    ManifestEntry(
                        path: candidate.path, kind: .file, size: digest.size, mode: candidate.mode,
                        mtime: candidate.mtime, sha256: digest.sha256))
            case .failure(let reason):
                skipped.append(.init(path: candidate.path, reason: reason.message))
            }
        }
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        let hashedCount = hashed.reduce(0) { count, result in
            if case .success(let d) = result, d.hashed { return count + 1 }
            return count
        }
        return ScannedTree(entries: entries, skipped: skipped, hashedFiles: hashedCount)
    }

    private func walk(
        root: String, relative: String, entries: inout [ManifestEntry], skipped: inout [ScannedTree.Skipped],
        candidates: inout [Candidate]
    ) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        guard let dir = opendir(directory) else {
            skipped.append(.init(path: relative.isEmpty ? "." : relative, reason: String(cString: strerror(errno))))
            return
        }
        var names: [String] = []
        while let item = readdir(dir) {
            let name = withUnsafePointer(to: item.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(validatingCString: $0) }
            }
            guard let name else {
                skipped.append(.init(path: relative + "/?", reason: "file name is not valid UTF-8"))
                continue
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        closedir(dir)
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            let absolute = root + "/" + path
            var st = stat()
            guard lstat(absolute, &st) == 0 else {
                skipped.append(.init(path: path, reason: String(cString: strerror(errno))))
                continue
            }
            let type = st.st_mode & S_IFMT
            if excludes.matches(path, isDirectory: type == S_IFDIR) { continue }
            let mode = UInt32(st.st_mode & 0o1777)
            let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
            switch type {
            case S_IFDIR:
                let before = entries.count + candidates.count
                walk(root: root, relative: path, entries: &entries, skipped: &skipped, candidates: &candidates)
                if entries.count + candidates.count == before {
                    entries.append(ManifestEntry(path: path, kind: .directory, size: 0, mode: mode, mtime: mtime))
                }
            case S_IFREG:
                let stamp = FileHashCache.Stamp(
                    size: Int64(st.st_size),
                    mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000
                        + Int64(st.st_mtim.tv_nsec),
                    ctimeNanoseconds: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                    inode: UInt64(st.st_ino))
                candidates.append(Candidate(path: path, absolute: absolute, stamp: stamp, mode: mode, mtime: mtime))
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(absolute, &buffer, buffer.count - 1)
                guard n >= 0 else {
                    skipped.append(.init(path: path, reason: String(cString: strerror(errno))))
                    continue
                }
                let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                entries.append(
                    ManifestEntry(path: path, kind: .symlink, size: 0, mode: 0o777, mtime: mtime, target: target))
            default:
                skipped.append(.init(path: path, reason: "not a regular file, directory or symlink"))
            }
        }
    }

    private struct Digested {
        var sha256: String
        var size: Int64
        var hashed: Bool
    }

    private struct Failure: Error {
        var message: String
    }

    private func hash(_ candidates: [Candidate], cache: inout FileHashCache) -> [Result<Digested, Failure>] {
        let snapshot = cache
        let results = ResultsBox<Result<Digested, Failure>>(count: candidates.count)
        let workers = min(max(1, concurrency), max(1, candidates.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < candidates.count {
                results.set(index, Self.digest(candidates[index], cache: snapshot))
                index += workers
            }
        }
        let out = results.values()
        for (candidate, result) in zip(candidates, out) {
            if case .success(let digest) = result, digest.hashed {
                cache.record(digest.sha256, for: candidate.path, stamp: candidate.stamp)
            }
        }
        return out
    }

    private static func digest(_ candidate: Candidate, cache: FileHashCache) -> Result<Digested, Failure> {
        if let known = cache.sha256(for: candidate.path, stamp: candidate.stamp) {
            return .success(Digested(sha256: known, size: candidate.stamp.size, hashed: false))
        }
        var expected = candidate.stamp
        for _ in 0..<3 {
            let result: (digest: [UInt8], size: Int64)
            do {
                result = try FileDigest.sha256(path: candidate.absolute)
            } catch {
                return .failure(Failure(message: error.description))
            }
            var st = stat()
            guard lstat(candidate.absolute, &st) == 0 else {
                return .failure(Failure(message: "vanished while being read"))
            }
            let mtimeNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            if result.size == expected.size && Int64(st.st_size) == expected.size
                && mtimeNs == expected.mtimeNanoseconds
            {
                return .success(Digested(sha256: Hex.encode(result.digest), size: result.size, hashed: true))
            }
            expected.size = Int64(st.st_size)
            expected.mtimeNanoseconds = mtimeNs
        }
        return .failure(Failure(message: "kept changing while being read; skipped"))
    }
}

/// Per-index results written by concurrent workers, each index by exactly one worker.
private final class ResultsBox<Value>: @unchecked Sendable {
    private var storage: [Value?]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    func values() -> [Value] { storage.map { $0! } }
}
