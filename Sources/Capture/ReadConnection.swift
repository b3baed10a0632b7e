import CSQLite

/// A read-only connection and the read transaction on it; the transaction is rolled back and the connection
/// closed when the last reference goes (an image mapped from the main file keeps it, see ``ImageBuffer``). The
/// capture reads the database's files only through ``files``, closed after the connection.
final class ReadConnection: @unchecked Sendable {
    let db: OpaquePointer
    let files = KeptFiles()
    /// Whether a read transaction is open.
    var inTransaction = false

    init(db: OpaquePointer) { self.db = db }

    /// Ends the read transaction, if any.
    func rollback() {
        if inTransaction { sqlite3_exec(db, "ROLLBACK", nil, nil, nil) }
        inTransaction = false
    }

    deinit {
        rollback()
        sqlite3_close_v2(db)
        files.closeAll()
    }
}
