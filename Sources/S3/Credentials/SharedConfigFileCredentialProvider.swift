import Foundation

/// Static credentials from the shared credentials and config files for `AWS_PROFILE` (`default` when unset):
/// `aws_access_key_id`, `aws_secret_access_key` and optionally `aws_session_token`, credentials file first.
///
/// Profiles that get credentials another way (`role_arn`, `credential_process`, `sso_*`) are reported as not
/// supported rather than silently skipped.
public struct SharedConfigFileCredentialProvider: CredentialProvider {
    static let source = "shared config files"

    /// The environment read, `ProcessInfo`'s by default.
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func credentials() async throws(CredentialError) -> AWSCredentials {
        let config = AWSSharedConfig.load(environment: environment)
        let files = "\(config.credentialsPath) or \(config.configPath)"
        guard let profile = config.profile else {
            throw CredentialError(
                code: config.profileWasChosen ? .invalidConfiguration : .notConfigured, source: Self.source,
                message: "no profile \"\(config.profileName)\" in \(files)"
                    + (config.profileWasChosen ? " (chosen with AWS_PROFILE)" : ""))
        }
        let key = profile["aws_access_key_id"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = profile["aws_secret_access_key"].flatMap { $0.isEmpty ? nil : $0 }
        switch (key, secret) {
        case (let key?, let secret?):
            return AWSCredentials(
                accessKeyID: key, secretAccessKey: secret,
                sessionToken: profile["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 })
        case (nil, nil):
            let other = ["role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file"]
                .filter { profile[$0] != nil }
            if !other.isEmpty {
                throw CredentialError(
                    code: .invalidConfiguration, source: Self.source,
                    message: "profile \"\(config.profileName)\" uses \(other.joined(separator: ", ")), which is "
                        + "not supported; set aws_access_key_id and aws_secret_access_key or use environment variables")
            }
            throw CredentialError(
                code: config.profileWasChosen ? .invalidConfiguration : .notConfigured, source: Self.source,
                message: "profile \"\(config.profileName)\" in \(files) has no aws_access_key_id/aws_secret_access_key")
        case (.some, nil):
            throw CredentialError(
                code: .invalidConfiguration, source: Self.source,
                message: "profile \"\(config.profileName)\" has aws_access_key_id but no aws_secret_access_key")
        case (nil, .some):
            throw CredentialError(
                code: .invalidConfiguration, source: Self.source,
                message: "profile \"\(config.profileName)\" has aws_secret_access_key but no aws_access_key_id")
        }
    }
}
