/// One row of the permission doctor's table: what was checked, how it went, and what to do about a gap.
public struct DoctorCheck: Sendable, Equatable, Encodable {
    /// How a check went.
    public enum Status: String, Sendable, Equatable, Encodable {
        /// It works.
        case passed = "ok"
        /// The first gap: the doctor stopped here.
        case failed = "FAILED"
        /// Not tried, after an earlier gap (or not configured, such as an unset expected owner).
        case skipped
    }

    /// `endpoint`, `credentials`, `bucket`, `region`, `owner`, or an IAM action such as `s3:GetObject`.
    public var check: String
    /// How it went.
    public var status: Status
    /// What was found, for a person.
    public var detail: String
    /// For a missing permission: the IAM statement to add.
    public var statement: String?

    public init(check: String, status: Status, detail: String, statement: String? = nil) {
        self.check = check
        self.status = status
        self.detail = detail
        self.statement = statement
    }
}
