import Foundation

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optionally `AWS_SESSION_TOKEN`.
///
/// Empty values count as unset. One of the key pair without the other is an error, not a reason to look elsewhere.
public struct EnvironmentCredentialProvider: CredentialProvider {
    static let source = "environment"

    /// The environment read, `ProcessInfo`'s by default.
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func credentials() async throws(CredentialError) -> AWSCredentials {
        let key = AWSEnvironment.value("AWS_ACCESS_KEY_ID", in: environment)
        let secret = AWSEnvironment.value("AWS_SECRET_ACCESS_KEY", in: environment)
        switch (key, secret) {
        case (let key?, let secret?):
            return AWSCredentials(
                accessKeyID: key, secretAccessKey: secret,
                sessionToken: AWSEnvironment.value("AWS_SESSION_TOKEN", in: environment))
        case (nil, nil):
            throw CredentialError(
                code: .notConfigured, source: Self.source,
                message: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        case (.some, nil):
            throw CredentialError(
                code: .invalidConfiguration, source: Self.source,
                message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        case (nil, .some):
            throw CredentialError(
                code: .invalidConfiguration, source: Self.source,
                message: "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
        }
    }
}

/// Reading AWS settings from an environment dictionary.
package enum AWSEnvironment {
    /// The value of `name`, trimmed; `nil` when unset or empty.
    package static func value(_ name: String, in environment: [String: String]) -> String? {
        guard let raw = environment[name] else { return nil }
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }

    /// Whether `name` is set to `true` (any case).
    package static func isTrue(_ name: String, in environment: [String: String]) -> Bool {
        value(name, in: environment)?.lowercased() == "true"
    }

    /// Expands a leading `~` with `HOME` from `environment` (or the user's home directory).
    package static func expandingTilde(_ path: String, in environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = value("HOME", in: environment) ?? NSHomeDirectory()
        return home + path.dropFirst()
    }

    /// The region: `AWS_REGION`, else `AWS_DEFAULT_REGION`; `nil` when neither is set.
    package static func region(in environment: [String: String]) -> String? {
        value("AWS_REGION", in: environment) ?? value("AWS_DEFAULT_REGION", in: environment)
    }
}
