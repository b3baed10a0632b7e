/// The secret values of an environment — credentials and tokens a workflow hands the process — so they can be
/// masked on a runner (`::add-mask::`) and redacted from every message, output and file this tool writes.
public struct Secrets: Sendable {
    /// Variables whose values are always secret.
    public static let variableNames = [
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_TOKEN", "AWS_SSE_CUSTOMER_KEY", "INPUT_S3-SSE-C-KEY",
        "INPUT_S3-SSE-CUSTOMER-KEY", "INPUT_GITHUB-TOKEN", "INPUT_TOKEN",
    ]

    /// The secret values found, longest first (so a longer secret is redacted before a shorter one inside it).
    public let values: [String]

    public init(environment: [String: String]) {
        var found = Set<String>()
        for name in Self.variableNames {
            guard let value = environment[name]?.trimmingSpaces(), value.count >= 4 else { continue }
            found.insert(value)
        }
        values = found.sorted { $0.count > $1.count }
    }

    /// `text` with every secret replaced by `***`.
    public func redact(_ text: String) -> String {
        var text = text
        for value in values where text.contains(value) {
            text = text.replacingOccurrences(of: value, with: "***")
        }
        return text
    }
}
