import CSQLite

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One database copied through SQLite's online backup API: the copy is a single committed state of the source,
/// taken while writers go on, and checked with `PRAGMA quick_check`.
enum SQLiteBackup {
    /// Why a copy failed.
    struct Failure: Error, Sendable {
        /// The database stayed busy or locked beyond the wait.
        var busy: Bool
        var message: String
    }

    /// The 16 bytes every SQLite 3 database file starts with.
    static let header: [UInt8] = Array("SQLite format 3".utf8) + [0]

    /// Copies the database at `source` into a new file at `destination`, then checks the copy.
    ///
    /// The source is opened read-only with a busy timeout; one read transaction is held for the whole copy, so
    /// every step reads the same snapshot (in WAL mode writers go on meanwhile; in rollback mode they wait for
    /// the copy). Steps of `pagesPerStep` pages; BUSY or LOCKED is retried with `sqlite3_sleep` until `wait`
    /// seconds have passed. On failure `destination` is removed.
    static func copy(source: String, to destination: String, wait: Double, pagesPerStep: Int32) throws(Failure) {
        let deadline = Monotonic.now() + wait
        do throws(Failure) {
            try copyChecked(source: source, to: destination, deadline: deadline, pagesPerStep: pagesPerStep)
        } catch {
            removeDatabaseFiles(destination)
            throw error
        }
        removeCompanions(destination)
    }

    private static func copyChecked(source: String, to destination: String, deadline: Double, pagesPerStep: Int32)
        throws(Failure)
    {
        var src: OpaquePointer?
        let opened = sqlite3_open_v2(source, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        defer { sqlite3_close_v2(src) }
        guard opened == SQLITE_OK, let src else {
            throw Failure(busy: false, message: "cannot open: \(message(src, opened))")
        }
        sqlite3_busy_timeout(src, Int32(max(0, min(Double(Int32.max), (deadline - Monotonic.now()) * 1000))))

        // One read transaction for the whole copy: every step sees the same committed state.
        try retrying(deadline: deadline) { () -> Int32 in
            sqlite3_exec(src, "BEGIN DEFERRED", nil, nil, nil)
        } failing: { code throws(Failure) in
            throw Failure(busy: isBusy(code), message: "cannot begin a read: \(message(src, code))")
        }
        defer { sqlite3_exec(src, "ROLLBACK", nil, nil, nil) }
        try retrying(deadline: deadline) { () -> Int32 in
            sqlite3_exec(src, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
        } failing: { code throws(Failure) in
            throw Failure(
                busy: isBusy(code),
                message: isBusy(code)
                    ? "still locked by another connection after the wait" : "cannot read: \(message(src, code))")
        }

        var dst: OpaquePointer?
        let created = sqlite3_open_v2(
            destination, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        defer { sqlite3_close_v2(dst) }
        guard created == SQLITE_OK, let dst else {
            throw Failure(busy: false, message: "cannot create the copy: \(message(dst, created))")
        }
        guard let backup = sqlite3_backup_init(dst, "main", src, "main") else {
            throw Failure(busy: false, message: "cannot start the backup: \(message(dst, sqlite3_errcode(dst)))")
        }
        var code = SQLITE_OK
        while true {
            code = sqlite3_backup_step(backup, pagesPerStep)
            if code == SQLITE_DONE { break }
            if code == SQLITE_OK { continue }
            if isBusy(code) && Monotonic.now() < deadline {
                sqlite3_sleep(50)
                continue
            }
            break
        }
        let finished = sqlite3_backup_finish(backup)
        guard code == SQLITE_DONE, finished == SQLITE_OK else {
            let failed = code == SQLITE_DONE ? finished : code
            throw Failure(
                busy: isBusy(failed),
                message: isBusy(failed)
                    ? "still locked by another connection after the wait" : "backup failed: \(describe(failed))")
        }
        try quickCheck(dst, what: "the copy")
    }

    /// Runs `PRAGMA quick_check` on `db` (`what` names it in errors); anything but one row "ok" is a failure naming the first problems.
    static func quickCheck(_ db: OpaquePointer, what: String) throws(Failure) {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &statement, nil) == SQLITE_OK, let statement else {
            throw Failure(busy: false, message: "cannot check \(what): \(message(db, sqlite3_errcode(db)))")
        }
        defer { sqlite3_finalize(statement) }
        var rows: [String] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                throw Failure(busy: false, message: "cannot check \(what): \(message(db, step))")
            }
            if let text = sqlite3_column_text(statement, 0) { rows.append(String(cString: text)) }
            if rows.count >= 5 { break }
        }
        guard rows == ["ok"] else {
            throw Failure(busy: false, message: "\(what) fails PRAGMA quick_check: \(rows.joined(separator: "; "))")
        }
    }

    /// Calls `body` until it answers anything but BUSY/LOCKED or the deadline passes; a non-OK answer goes to
    /// `failing`.
    static func retrying(
        deadline: Double, _ body: () -> Int32, failing: (Int32) throws(Failure) -> Void
    ) throws(Failure) {
        while true {
            let code = body()
            if code == SQLITE_OK { return }
            if isBusy(code) && Monotonic.now() < deadline {
                sqlite3_sleep(50)
                continue
            }
            try failing(code)
            return
        }
    }

    static func isBusy(_ code: Int32) -> Bool {
        let primary = code & 0xff
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED
    }

    static func message(_ db: OpaquePointer?, _ code: Int32) -> String {
        if let db, let text = sqlite3_errmsg(db) { return String(cString: text) }
        return describe(code)
    }

    private static func describe(_ code: Int32) -> String {
        guard let text = sqlite3_errstr(code) else { return "SQLite error \(code)" }
        return String(cString: text)
    }

    /// The companions SQLite may leave beside a database file.
    static let companionSuffixes = ["-wal", "-shm", "-journal"]

    static func removeCompanions(_ path: String) {
        for suffix in companionSuffixes { unlink(path + suffix) }
    }

    static func removeDatabaseFiles(_ path: String) {
        unlink(path)
        removeCompanions(path)
    }
}

/// Seconds on a monotonic clock.
enum Monotonic {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
