import Foundation
import Hashing

/// Derived SigV4 signing keys, per secret, day, region and service, so each request costs one HMAC, not five.
///
/// Small and process-wide; it is emptied when it grows past a handful of entries.
final class SigningKeyCache: @unchecked Sendable {
    static let shared = SigningKeyCache()

    private struct Key: Hashable {
        var secretAccessKey: String
        var day: String
        var region: String
        var service: String
    }

    private let lock = NSLock()
    private var keys: [Key: [UInt8]] = [:]
    private let limit = 16

    /// The signing key `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
    func key(secretAccessKey: String, day: String, region: String, service: String) -> [UInt8] {
        let cacheKey = Key(secretAccessKey: secretAccessKey, day: day, region: region, service: service)
        if let key = lock.withLock({ keys[cacheKey] }) { return key }
        let key = Self.derive(secretAccessKey: secretAccessKey, day: day, region: region, service: service)
        lock.withLock {
            if keys.count >= limit { keys.removeAll(keepingCapacity: true) }
            keys[cacheKey] = key
        }
        return key
    }

    static func derive(secretAccessKey: String, day: String, region: String, service: String) -> [UInt8] {
        let dateKey = Digest.hmacSHA256(key: Array("AWS4\(secretAccessKey)".utf8), message: day)
        let regionKey = Digest.hmacSHA256(key: dateKey, message: region)
        let serviceKey = Digest.hmacSHA256(key: regionKey, message: service)
        return Digest.hmacSHA256(key: serviceKey, message: "aws4_request")
    }
}
