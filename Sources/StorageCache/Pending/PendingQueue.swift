import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Pushes that failed after retries, kept in `<state directory>/s3_failures.json` until a retry succeeds.
///
/// Every change happens under an exclusive `flock` on `s3_failures.json.lock` and is written atomically (a temporary
/// file renamed over the old one), so concurrent processes never lose an entry or read half a file.
public struct PendingQueue: Sendable {
    /// The state directory.
    public let directory: String

    /// The queue file's name.
    public static let fileName = "s3_failures.json"

    public init(directory: String) {
        self.directory = directory
    }

    /// The queue file.
    public var path: String { directory + "/" + Self.fileName }

    struct File: Codable {
        var version: Int
        var entries: [PendingEntry]
    }

    /// The entries, oldest first. A missing file is an empty queue.
    public func entries() throws(SyncError) -> [PendingEntry] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try withLock { () throws(SyncError) in try read() }
    }

    /// Records a failure, replacing an earlier entry for the same work (keeping its first failure time and counting
    /// its attempts).
    @discardableResult
    public func record(_ entry: PendingEntry) throws(SyncError) -> PendingEntry {
        try update { entries in
            var entry = entry
            if let index = entries.firstIndex(where: { $0.key == entry.key }) {
                let previous = entries.remove(at: index)
                entry.firstFailedAt = previous.firstFailedAt
                entry.attempts = previous.attempts + entry.attempts
            }
            entries.append(entry)
            return entry
        }
    }

    /// Removes the entry with `id` (no error when it is gone already).
    public func remove(id: String) throws(SyncError) {
        try update { entries in entries.removeAll { $0.id == id } }
    }

    /// Notes one more failed attempt of the entry with `id`.
    public func noteFailure(id: String, error: String, at date: Date = Date()) throws(SyncError) {
        try update { entries in
            guard let index = entries.firstIndex(where: { $0.id == id }) else { return }
            entries[index].attempts += 1
            entries[index].lastError = error
            entries[index].lastFailedAt = date
        }
    }

    /// Reads, changes and writes back the entries under the lock.
    public func update<T>(_ change: (inout [PendingEntry]) throws(SyncError) -> T) throws(SyncError) -> T {
        try makeDirectory()
        return try withLock { () throws(SyncError) in
            var entries = try read()
            let result = try change(&entries)
            try write(entries)
            return result
        }
    }

    private func makeDirectory() throws(SyncError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SyncError(.io, "cannot create the state directory \(directory): \(error.localizedDescription)")
        }
    }

    private func read() throws(SyncError) -> [PendingEntry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        if data.isEmpty { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(File.self, from: data).entries
        } catch {
            throw SyncError(.corrupted, "the pending queue \(path) is not valid JSON; move it aside to start afresh")
        }
    }

    private func write(_ entries: [PendingEntry]) throws(SyncError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data: Data
        do {
            data = try encoder.encode(File(version: 1, entries: entries))
        } catch {
            throw SyncError(.io, "cannot encode the pending queue: \(error)")
        }
        let temporary = directory + "/.\(Self.fileName).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SyncError(.io, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard written, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SyncError(.io, "cannot write \(path): \(reason)")
        }
    }

    private func withLock<T>(_ body: () throws(SyncError) -> T) throws(SyncError) -> T {
        try makeDirectory()
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SyncError(.io, "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw SyncError(.io, "cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
