import CSQLite
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One database read straight into memory: the main file with the WAL's committed frames laid over it, within a
/// read transaction held on a read-only connection, checked with `PRAGMA quick_check` on that connection (the same
/// snapshot) while the image is hashed. No copy is written; writers go on meanwhile.
///
/// The snapshot's last frame is the wal-index header's `mxFrame`, read from the `-shm` file before and after the
/// transaction began: equal headers mean the transaction saw that one. While the read lock is held no checkpoint
/// goes past the snapshot and the WAL cannot be reset; a checkpoint may copy frames of the snapshot into the main
/// file meanwhile, which the overlay covers. Anything unusual (a rollback journal, an index that keeps changing, a
/// WAL that does not match its index, a page neither file holds, a WAL header that changed) is a
/// ``Failure/fallback``: the caller uses the online backup API instead.
enum SQLiteImage {
    struct Failure: Error, Sendable {
        /// The database stayed busy or locked beyond the wait.
        var busy: Bool = false
        /// Not a problem of the database: the backup API should copy it instead.
        var fallback: Bool = false
        var message: String
    }

    struct Captured {
        var buffer: ImageBuffer
        var sha256: String
        var chunkDigests: [[UInt8]]
        /// Seconds spent reading the image, and then hashing it and checking it (side by side).
        var readSeconds: Double = 0
        var hashSeconds: Double = 0
        var checkSeconds: Double = 0
    }

    /// How many times a wal-index header that changed while the transaction began is tried again.
    static let attempts = 8

    /// Reads the database at `source`; `chunkSize` is the chunk size of the digests. `maxBytes` bounds the image.
    /// `afterRead` runs between the read and the checks that nothing moved under it (tests change files there).
    static func capture(
        source: String, wait: Double, chunkSize: Int64, maxBytes: Int64,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, afterRead: (() -> Void)? = nil
    ) throws(Failure) -> Captured {
        guard 1.littleEndian == 1 else { throw Failure(fallback: true, message: "big-endian host") }
        let deadline = Monotonic.now() + wait
        var handle: OpaquePointer?
        let opened = sqlite3_open_v2(source, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard opened == SQLITE_OK, let handle else {
            let message = SQLiteBackup.message(handle, opened)
            sqlite3_close_v2(handle)
            throw Failure(message: "cannot open: \(message)")
        }
        let connection = ReadConnection(db: handle)
        let db = connection.db
        sqlite3_busy_timeout(db, Int32(max(0, min(Double(Int32.max), wait * 1000))))
        // quick_check reads every page: through mmap it costs about half of read() calls.
        sqlite3_exec(db, "PRAGMA mmap_size=\(min(maxBytes, 1 << 40))", nil, nil, nil)

        var snapshot: WALIndexHeader?
        var isWAL = false
        for attempt in 0..<attempts {
            let before = WALIndexHeader.read(connection.files.descriptor(source + "-shm"))
            try begin(db, deadline: deadline)
            connection.inTransaction = true
            guard let header = readDatabaseHeader(connection.files.descriptor(source)) else {
                throw Failure(fallback: true, message: "cannot read the database header")
            }
            isWAL = header[18] == 2 && header[19] == 2
            guard isWAL else { break }
            let after = WALIndexHeader.read(connection.files.descriptor(source + "-shm"))
            if let after, before == after || (before == nil && after.maxFrame == 0) {
                snapshot = after
                break
            }
            connection.rollback()
            if attempt == attempts - 1 {
                throw Failure(fallback: true, message: "the WAL index kept changing while a read began")
            }
        }
        if !isWAL, access(source + "-journal", F_OK) == 0 {
            throw Failure(fallback: true, message: "a rollback journal is present")
        }
        let pageSize = try integer(db, "PRAGMA page_size")
        let pageCount = try integer(db, "PRAGMA page_count")
        guard pageSize >= 512, pageSize <= 65536, pageSize & (pageSize - 1) == 0, pageCount >= 1 else {
            throw Failure(fallback: true, message: "unexpected page size or count")
        }
        let (size, overflow) = pageSize.multipliedReportingOverflow(by: pageCount)
        guard !overflow, Int64(size) <= maxBytes else {
            throw Failure(fallback: true, message: "the image would exceed \(maxBytes) bytes")
        }
        // The check runs on the connection (the same snapshot) from now on, while the image is read and hashed
        // on the other cores; it is always joined before the connection closes.
        let readStarted = Monotonic.now()
        let check = QuickCheckThread(db: db)
        check.start()
        let image: (buffer: ImageBuffer, hashStarted: Double)
        do throws(Failure) {
            image = try readImage(
                source, snapshot: isWAL ? snapshot : nil, pageSize: pageSize, pageCount: pageCount,
                connection: connection, mapped: isWAL, afterRead: afterRead)
        } catch {
            _ = check.join()
            throw error
        }
        let digests = ImageDigests.compute(image.buffer, chunkSize: chunkSize, threads: threads)
        let hashed = Monotonic.now()
        let (problem, checked) = check.join()
        if let problem { throw Failure(message: problem) }
        // The files read are still the database's (a -wal/-shm removed and made again would mean the locks that
        // kept the snapshot were lost meanwhile).
        guard [source, source + "-wal", source + "-shm"].allSatisfy(connection.files.isCurrent) else {
            throw Failure(fallback: true, message: "the database's files were replaced during the read")
        }
        return Captured(
            buffer: image.buffer, sha256: digests.whole, chunkDigests: digests.chunks,
            readSeconds: image.hashStarted - readStarted, hashSeconds: hashed - image.hashStarted,
            checkSeconds: checked - readStarted)
    }

    /// The snapshot's image: the main file, then (WAL mode) frames `1...snapshot.maxFrame` over it; checks that
    /// every page is covered and that the WAL was not reset meanwhile. Returns it and when the read ended.
    ///
    /// With `connection` (WAL mode) and a main file at least as long as the image, the image is a private mapping
    /// of the file holding the read transaction: nothing is copied but the WAL's pages. While that transaction
    /// lasts, a checkpoint only copies frames up to the snapshot into the file, i.e. pages the overlay already
    /// replaced (copy-on-write); the other pages of the file stay as they are, and it cannot shrink. A rollback-mode
    /// database (writers wait for the transaction) is read into anonymous memory instead.
    private static func readImage(
        _ source: String, snapshot: WALIndexHeader?, pageSize: Int, pageCount: Int, connection: ReadConnection,
        mapped: Bool, afterRead: (() -> Void)?
    ) throws(Failure) -> (buffer: ImageBuffer, hashStarted: Double) {
        let size = pageSize * pageCount
        var covered = [Bool](repeating: false, count: pageCount)
        let buffer: ImageBuffer
        let files = connection.files
        guard let main = files.descriptor(source) else {
            throw Failure(message: "cannot open: \(String(cString: strerror(errno)))")
        }
        if mapped, let image = mapMainFile(main, size: size, hold: connection) {
            buffer = image
            for page in 0..<pageCount { covered[page] = true }
        } else {
            buffer = ImageBuffer(count: size)
            try readMainFile(main, into: buffer, pageSize: pageSize, covered: &covered)
        }
        var overlay = WALOverlay()
        if let snapshot, snapshot.maxFrame > 0 {
            do throws(WALOverlay.Failure) {
                try overlay.apply(
                    wal: files.descriptor(source + "-wal"), index: snapshot, image: buffer, pageSize: pageSize,
                    pageCount: pageCount, covered: &covered)
            } catch {
                throw Failure(fallback: true, message: error.message)
            }
        }
        guard !covered.contains(false) else {
            throw Failure(fallback: true, message: "a page is neither in the database file nor in the WAL")
        }
        afterRead?()
        // Nothing moved under the read: the same WAL (no reset) with the same salts.
        if let snapshot, snapshot.maxFrame > 0 {
            guard overlay.headerUnchanged(wal: files.descriptor(source + "-wal")),
                let now = WALIndexHeader.read(files.descriptor(source + "-shm")), now.saltBytes == snapshot.saltBytes
            else { throw Failure(fallback: true, message: "the WAL was reset during the read") }
        }
        return (buffer, Monotonic.now())
    }

    /// Starts the read transaction (retrying BUSY/LOCKED until `deadline`).
    private static func begin(_ db: OpaquePointer, deadline: Double) throws(Failure) {
        do throws(SQLiteBackup.Failure) {
            try SQLiteBackup.retrying(deadline: deadline) { () -> Int32 in
                sqlite3_exec(db, "BEGIN DEFERRED", nil, nil, nil)
            } failing: { code throws(SQLiteBackup.Failure) in
                throw SQLiteBackup.Failure(
                    busy: SQLiteBackup.isBusy(code), message: "cannot begin a read: \(SQLiteBackup.message(db, code))")
            }
            try SQLiteBackup.retrying(deadline: deadline) { () -> Int32 in
                sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
            } failing: { code throws(SQLiteBackup.Failure) in
                sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
                throw SQLiteBackup.Failure(
                    busy: SQLiteBackup.isBusy(code),
                    message: SQLiteBackup.isBusy(code)
                        ? "still locked by another connection after the wait"
                        : "cannot read: \(SQLiteBackup.message(db, code))")
            }
        } catch {
            throw Failure(busy: error.busy, message: error.message)
        }
    }

    private static func integer(_ db: OpaquePointer, _ sql: String) throws(Failure) -> Int {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw Failure(fallback: true, message: "cannot run \(sql)")
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { throw Failure(fallback: true, message: "cannot run \(sql)") }
        return Int(sqlite3_column_int64(statement, 0))
    }

    private static func readDatabaseHeader(_ fd: Int32?) -> [UInt8]? {
        guard let fd else { return nil }
        var bytes = [UInt8](repeating: 0, count: 100)
        let n = bytes.withUnsafeMutableBytes { WALOverlay.readFully(fd, $0.baseAddress!, 100, offset: 0) }
        return n == 100 ? bytes : nil
    }

    /// A private mapping of the first `size` bytes of the main file, when it is that long.
    private static func mapMainFile(_ fd: Int32, size: Int, hold: ReadConnection) -> ImageBuffer? {
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) >= size else { return nil }
        return ImageBuffer(mapping: fd, count: size, hold: hold)
    }

    /// Reads the main file into `buffer` (as far as both go) and marks the whole pages read.
    private static func readMainFile(_ fd: Int32, into buffer: ImageBuffer, pageSize: Int, covered: inout [Bool])
        throws(Failure)
    {
        let n = WALOverlay.readFully(fd, buffer.bytes.baseAddress!, buffer.count, offset: 0)
        guard n >= 0 else { throw Failure(message: "cannot read: \(String(cString: strerror(errno)))") }
        for page in 0..<min(covered.count, n / pageSize) { covered[page] = true }
    }
}

/// `PRAGMA quick_check` on its own thread.
private final class QuickCheckThread: @unchecked Sendable {
    private let db: OpaquePointer
    private let done = DispatchSemaphore(value: 0)
    private var problem: String?
    private var finished = 0.0

    init(db: OpaquePointer) { self.db = db }

    func start() {
        let thread = Thread { [self] in
            do throws(SQLiteBackup.Failure) {
                try SQLiteBackup.quickCheck(db, what: "the database")
            } catch {
                problem = error.message
            }
            finished = Monotonic.now()
            done.signal()
        }
        thread.name = "storage-cache quick_check"
        thread.start()
    }

    /// Waits for the check; returns its problem (`nil`: ok) and when it finished.
    func join() -> (problem: String?, finished: Double) {
        done.wait()
        return (problem, finished)
    }
}
