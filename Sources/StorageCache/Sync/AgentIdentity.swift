/// Which kind of host owns a storage tree: RFC-019's `github` (a workflow runner) or `discord` (the bot host).
public enum AgentIdentity: String, Sendable, CaseIterable, Codable {
    /// A GitHub Actions runner.
    case github
    /// The Discord-bot host.
    case discord
}
