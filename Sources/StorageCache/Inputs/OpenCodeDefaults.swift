/// What storage-cache saves for OpenCode when nothing else is said: its data directory, without credentials and
/// logs. Databases in it are captured by online backup (``Capture/TreeCapture``), so their `-wal`, `-shm` and
/// `-journal` companions are never saved either.
public enum OpenCodeDefaults {
    /// Credential files left out unless `include-credentials: true`.
    public static let credentialFiles = ["auth.json", "mcp-auth.json"]
    /// Other paths left out: OpenCode's log directory.
    public static let otherExcludes = ["/log/"]

    /// The warning printed when credentials are included on purpose.
    public static let credentialsWarning =
        "include-credentials is true: auth.json and mcp-auth.json (API keys, OAuth tokens) are saved to the cache "
        + "and to S3; anyone who can read them can use those credentials"

    /// OpenCode's data directory: `$XDG_DATA_HOME/opencode` (when absolute), else `~/.local/share/opencode`;
    /// `nil` without `HOME`.
    public static func dataDirectory(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return (xdg.hasSuffix("/") ? String(xdg.dropLast()) : xdg) + "/opencode"
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return (home.hasSuffix("/") ? String(home.dropLast()) : home) + "/.local/share/opencode"
    }

    /// The database OpenCode uses: `$OPENCODE_DB` (relative to the data directory unless absolute), else
    /// `opencode.db` in the data directory.
    public static func databasePath(environment: [String: String]) -> String? {
        let data = dataDirectory(environment: environment)
        if let given = environment["OPENCODE_DB"], !given.isEmpty {
            if given.hasPrefix("/") { return given }
            return data.map { $0 + "/" + given }
        }
        return data.map { $0 + "/opencode.db" }
    }

    /// The default exclude patterns: credentials (unless `includeCredentials`) and logs.
    public static func excludes(includeCredentials: Bool) -> [String] {
        (includeCredentials ? [] : credentialFiles) + otherExcludes
    }
}
