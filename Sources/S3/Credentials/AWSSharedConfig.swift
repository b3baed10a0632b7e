import Foundation

/// The AWS shared credentials and config files (`~/.aws/credentials`, `~/.aws/config`), parsed.
///
/// Paths come from `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`, the profile from `AWS_PROFILE`
/// (`default` when unset). In the config file a profile's section is `[profile name]` (`[default]` for the default
/// profile); in the credentials file it is `[name]`. A missing file counts as empty.
public struct AWSSharedConfig: Sendable, Equatable {
    /// The selected profile's name.
    public var profileName: String
    /// Whether the profile was chosen with `AWS_PROFILE` (a missing chosen profile is an error).
    public var profileWasChosen: Bool
    /// The credentials file's path.
    public var credentialsPath: String
    /// The config file's path.
    public var configPath: String
    /// Settings per profile from the credentials file.
    public var credentialsProfiles: [String: [String: String]]
    /// Settings per profile from the config file (profile names without the `profile ` prefix).
    public var configProfiles: [String: [String: String]]

    /// Reads both files as `environment` points to them.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> AWSSharedConfig {
        let credentialsPath = AWSEnvironment.expandingTilde(
            AWSEnvironment.value("AWS_SHARED_CREDENTIALS_FILE", in: environment) ?? "~/.aws/credentials",
            in: environment)
        let configPath = AWSEnvironment.expandingTilde(
            AWSEnvironment.value("AWS_CONFIG_FILE", in: environment) ?? "~/.aws/config", in: environment)
        let chosen = AWSEnvironment.value("AWS_PROFILE", in: environment)
        return AWSSharedConfig(
            profileName: chosen ?? "default", profileWasChosen: chosen != nil, credentialsPath: credentialsPath,
            configPath: configPath,
            credentialsProfiles: parse(read(credentialsPath), configFile: false),
            configProfiles: parse(read(configPath), configFile: true))
    }

    /// The selected profile's settings, credentials file first, then config file; `nil` when in neither.
    public var profile: [String: String]? {
        let fromCredentials = credentialsProfiles[profileName]
        let fromConfig = configProfiles[profileName]
        guard fromCredentials != nil || fromConfig != nil else { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentials in credentials }
    }

    /// The selected profile's `region`, if any.
    public var region: String? { profile?["region"] }

    static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses INI text into profiles. Keys are lower-cased; `#` and `;` start comment lines (and inline comments
    /// after whitespace); indented lines under a `key =` with no value (nested sections like `s3 =`) are skipped.
    static func parse(_ text: String, configFile: Bool) -> [String: [String: String]] {
        var profiles: [String: [String: String]] = [:]
        var current: String?
        var inNested = false
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let indented = rawLine.first == " " || rawLine.first == "\t"
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                inNested = false
                guard let close = line.firstIndex(of: "]") else {
                    current = nil
                    continue
                }
                let name = line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                current = profileName(fromSection: name, configFile: configFile)
                if let current, profiles[current] == nil { profiles[current] = [:] }
                continue
            }
            guard let profile = current else { continue }
            if indented && inNested { continue }
            for marker in [" #", "\t#", " ;", "\t;"] {
                if let range = line.range(of: marker) { line = String(line[..<range.lowerBound]) }
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.isEmpty {
                inNested = true
                continue
            }
            inNested = false
            profiles[profile]?[key] = value
        }
        return profiles
    }

    private static func profileName(fromSection name: String, configFile: Bool) -> String? {
        guard configFile else { return name }
        if name == "default" { return name }
        let parts = name.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == "profile" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }
}

/// Where the region comes from when none is given: `AWS_REGION`, `AWS_DEFAULT_REGION`, then the selected
/// profile's `region` in the shared config files.
public enum AWSRegionResolver {
    /// The region from `environment` and the shared config files, or `nil` when none is set anywhere.
    public static func region(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        AWSEnvironment.region(in: environment) ?? AWSSharedConfig.load(environment: environment).region
    }
}
