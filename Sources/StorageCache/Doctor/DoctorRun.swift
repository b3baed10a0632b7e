import S3

/// The doctor's rows as they are found, then the ``DoctorReport``: the exit status is the first gap's, and every
/// check after it is reported skipped.
struct DoctorRun {
    let settings: SyncSettings
    var checks: [DoctorCheck] = []
    var status: ExitStatus = .success

    init(settings: SyncSettings) { self.settings = settings }

    /// Every check the doctor knows, for the skipped rows after a gap.
    var allChecks: [String] {
        let kms: Bool = settings.serverSideEncryption.map { if case .kms = $0 { true } else { false } } ?? false
        return [
            "endpoint", "credentials", "bucket", "region", "owner", "s3:ListBucket",
            kms ? "s3:PutObject + kms:GenerateDataKey" : "s3:PutObject",
            kms ? "s3:GetObject + kms:Decrypt" : "s3:GetObject", "s3:DeleteObject",
        ]
    }

    mutating func pass(_ check: String, _ detail: String) {
        checks.append(DoctorCheck(check: check, status: .passed, detail: detail))
    }

    mutating func skip(_ check: String, _ detail: String) {
        checks.append(DoctorCheck(check: check, status: .skipped, detail: detail))
    }

    mutating func fail(_ check: String, _ detail: String, status: ExitStatus, statement: String? = nil) {
        checks.append(DoctorCheck(check: check, status: .failed, detail: detail, statement: statement))
        if self.status == .success { self.status = status }
    }

    /// A failed S3 call: a denial names the permission S3's answer points at (``S3Error/deniedPermission``, else
    /// `fallback`) and the statement to add.
    mutating func gap(_ check: String, _ error: S3Error, fallback: String, location: SyncLocation) {
        guard error.code == .accessDenied else {
            fail(check, error.description, status: error.code == .notFound ? .notFound : .failed)
            return
        }
        let permission =
            error.deniedPermission
            ?? S3Permission(
                action: fallback,
                resource: S3Permission.objectARN(bucket: location.bucket, prefix: location.prefix, key: nil))
        fail(check, "denied: \(permission) is missing", status: .accessDenied, statement: permission.statement)
    }

    mutating func replace(_ check: String, with row: DoctorCheck) {
        if let index = checks.firstIndex(where: { $0.check == check }) {
            checks[index] = row
        } else {
            checks.append(row)
        }
    }

    /// Appends `text` to the last row's detail.
    mutating func note(_ text: String) {
        guard !checks.isEmpty else { return }
        checks[checks.count - 1].detail += text
    }

    func report() -> DoctorReport {
        var rows = checks
        for check in allChecks where !rows.contains(where: { $0.check == check }) {
            rows.append(DoctorCheck(check: check, status: .skipped, detail: "not checked after the first gap"))
        }
        return DoctorReport(checks: rows, exitStatus: status)
    }
}
