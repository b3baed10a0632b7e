import Foundation

/// What `storage-cache doctor` found: every check in order, and the exit status of the first gap.
public struct DoctorReport: Sendable, Equatable {
    /// The checks, in the order they ran; those after the first gap are ``DoctorCheck/Status/skipped``.
    public var checks: [DoctorCheck]
    /// ``ExitStatus/success`` when every check passed; else the first gap's: 4 for a missing permission, refused
    /// credentials or a bucket of another account, 3 for a missing bucket, 2 for a wrong region, 1 for anything else.
    public var exitStatus: ExitStatus

    /// The first check that failed.
    public var firstGap: DoctorCheck? { checks.first { $0.status == .failed } }

    /// The table, one line per check, columns padded.
    public func table() -> String {
        let rows = [("check", "status", "detail")] + checks.map { ($0.check, $0.status.rawValue, $0.detail) }
        let first = rows.map(\.0.count).max() ?? 0
        let second = rows.map(\.1.count).max() ?? 0
        return rows.map { row in
            row.0.padding(toLength: first + 2, withPad: " ", startingAt: 0)
                + row.1.padding(toLength: second + 2, withPad: " ", startingAt: 0) + row.2
        }.joined(separator: "\n")
    }
}
