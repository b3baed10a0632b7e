import Foundation
import HTTPTransport

/// The JSON credentials document the container credentials endpoint and EC2 instance metadata serve.
struct CredentialsDocument: Decodable {
    var Code: String?
    var Message: String?
    var AccessKeyId: String?
    var SecretAccessKey: String?
    var Token: String?
    var Expiration: String?

    /// Decodes `body` into credentials; errors name `source` and the missing field, never a value.
    static func credentials(from body: [UInt8], source: String) throws(CredentialError) -> AWSCredentials {
        let document: CredentialsDocument
        do {
            document = try JSONDecoder().decode(CredentialsDocument.self, from: Data(body))
        } catch {
            throw CredentialError(code: .fetchFailed, source: source, message: "the credentials response is not JSON")
        }
        if let code = document.Code, code != "Success" {
            throw CredentialError(
                code: .fetchFailed, source: source,
                message: "the credentials response says \(code)" + (document.Message.map { ": \($0)" } ?? ""))
        }
        guard let key = document.AccessKeyId, !key.isEmpty else {
            throw CredentialError(
                code: .fetchFailed, source: source, message: "the credentials response has no AccessKeyId")
        }
        guard let secret = document.SecretAccessKey, !secret.isEmpty else {
            throw CredentialError(
                code: .fetchFailed, source: source, message: "the credentials response has no SecretAccessKey")
        }
        var expiration: Date?
        if let text = document.Expiration {
            guard let date = SigV4Date.parseISO8601(text) else {
                throw CredentialError(
                    code: .fetchFailed, source: source, message: "the credentials response has an unreadable Expiration"
                )
            }
            expiration = date
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: document.Token.flatMap { $0.isEmpty ? nil : $0 },
            expiration: expiration)
    }
}

extension HTTPClientConfiguration {
    /// Settings for talking to a metadata service: a 1 s connect timeout, a short total timeout, no HTTP/2.
    package static func metadataService(from base: HTTPClientConfiguration = HTTPClientConfiguration())
        -> HTTPClientConfiguration
    {
        var configuration = base
        configuration.connectTimeout = .seconds(1)
        configuration.totalTimeout = .seconds(5)
        configuration.lowSpeedTime = .seconds(5)
        configuration.http2 = false
        configuration.maxConcurrentRequests = 4
        return configuration
    }
}

/// The host of `url` for messages (no path, no query).
func hostForMessage(_ url: String) -> String {
    let parts = SigV4URL(url)
    return parts.scheme.isEmpty ? parts.hostHeader : "\(parts.scheme)://\(parts.hostHeader)"
}
