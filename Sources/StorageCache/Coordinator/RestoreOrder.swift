/// Which store a ``CacheCoordinator`` restore trusts first when both a primary and S3 are on (input
/// `restore-order`, flag `--restore-order`).
public enum RestoreOrder: String, Sendable, Codable, CaseIterable {
    /// The default with `s3-backup`: on every primary hit, read S3's manifest head (one request) and restore from
    /// S3 when its generation is newer than the one the primary entry records.
    case newest
    /// The primary's exact-key hit is trusted without asking S3; a hit through a restore key is checked against
    /// S3's head as under `newest`.
    case primaryFirst = "primary-first"
    /// S3 first; the primary only when S3 has nothing or fails.
    case s3First = "s3-first"

    /// `flag` (wins), else `INPUT_RESTORE-ORDER`, else `newest`. Anything else is an ``InputError`` naming the
    /// input (exit 2).
    public static func resolve(flag: String?, environment: [String: String]) throws(InputError) -> RestoreOrder {
        let text = SyncSettings.nonEmpty(flag) ?? ActionInputs(environment: environment).string("restore-order")
        guard let text else { return .newest }
        guard let order = RestoreOrder(rawValue: text.lowercased()) else {
            throw InputError(
                input: "restore-order", flag: "--restore-order",
                message: "must be newest, primary-first or s3-first, not \"\(text)\"")
        }
        return order
    }
}
