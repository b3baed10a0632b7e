import Foundation
import HTTPTransport
import Logging
import S3

/// The cache service v2's Twirp JSON API (`<ACTIONS_RESULTS_URL>/twirp/github.actions.results.api.v1.CacheService/`),
/// with `Authorization: Bearer <ACTIONS_RUNTIME_TOKEN>`. Requests use the proto field names (`restore_keys`,
/// `size_bytes`, int64 as a JSON string), as `@actions/cache` sends them; responses are read under either the
/// proto or the lowerCamelCase JSON name.
///
/// 429, 5xx and transport failures are retried with ``RetryPolicy``'s backoff, honouring `Retry-After`.
/// Nothing here ever logs or throws the token, a signed URL or a response body that could hold one.
struct CacheServiceClient: Sendable {
    static let servicePath = "twirp/github.actions.results.api.v1.CacheService/"

    let http: HTTPClient
    let baseURL: String
    let token: String
    let retry: RetryPolicy
    let maxRetryAfter: Duration
    let logger: Logger

    /// A Twirp answer other than 2xx, after retries.
    struct Failure: Error, Sendable {
        var status: Int
        var code: String?
        var message: String

        var summary: String { "HTTP \(status)\(code.map { " \($0)" } ?? ""): \(message)" }
    }

    /// A decoded JSON object (only ever read).
    struct Object: @unchecked Sendable {
        let fields: [String: Any]

        func string(_ names: String...) -> String? {
            for name in names { if let value = fields[name] as? String { return value } }
            return nil
        }

        func bool(_ names: String...) -> Bool {
            for name in names { if let value = fields[name] as? Bool { return value } }
            return false
        }
    }

    enum Outcome: Sendable {
        case ok(Object)
        case failed(Failure)
    }

    /// Calls `method` with `body` (a JSON object); throws only when no answer came after every attempt.
    func call(_ method: String, _ body: [String: any Sendable]) async throws(StoreError) -> Outcome {
        let url = Self.origin(of: baseURL) + "/" + Self.servicePath + method
        let payload: [UInt8]
        do {
            payload = Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        } catch {
            throw StoreError(code: .invalidInput, message: "cannot encode the \(method) request")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Authorization", value: "Bearer \(token)")
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: .bytes(payload))
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPResponse
            do {
                response = try await http.execute(request)
            } catch {
                guard error.isTransient, attempt < retry.maxAttempts else {
                    throw StoreError(
                        code: .io, message: "GitHub Actions cache \(method) failed after \(attempt) attempts: \(error)")
                }
                logger.info(
                    "cache service \(method): \(error); retrying (attempt \(attempt + 1) of \(retry.maxAttempts))")
                try await RetryTiming.sleep(retry.backoff(afterAttempt: attempt))
                continue
            }
            let object = Self.decode(response.body)
            if (200..<300).contains(response.status), let object {
                return .ok(object)
            }
            let failure = Failure(
                status: response.status, code: object?.string("code"),
                message: Self.safeMessage(object?.string("msg")) ?? "no message")
            if RetryPolicy.retryableStatuses.contains(response.status), attempt < retry.maxAttempts {
                let wait = RetryTiming.wait(
                    retryAfter: response.headers["Retry-After"], fallback: retry.backoff(afterAttempt: attempt),
                    cap: maxRetryAfter)
                logger.info(
                    "cache service \(method): \(failure.summary); retrying in \(wait) (attempt \(attempt + 1) of \(retry.maxAttempts))"
                )
                try await RetryTiming.sleep(wait)
                continue
            }
            return .failed(failure)
        }
    }

    /// `scheme://host[:port]` of `url`: @actions/cache resolves `/twirp/…` against the results URL, so any path
    /// in it is dropped.
    static func origin(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return String(url[..<schemeEnd.upperBound]) + host
    }

    static func decode(_ body: [UInt8]) -> Object? {
        guard !body.isEmpty, let value = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return nil
        }
        return Object(fields: value)
    }

    /// A server message without anything URL-like (a service could echo a signed URL).
    static func safeMessage(_ message: String?) -> String? {
        guard let message else { return nil }
        let words = message.split(separator: " ", omittingEmptySubsequences: false).map { word in
            word.contains("://") || word.contains("sig=") ? "<redacted>" : String(word)
        }
        return String(words.joined(separator: " ").prefix(300))
    }
}

/// Waits between attempts.
enum RetryTiming {
    /// `Retry-After` in seconds (capped), else `fallback`.
    static func wait(retryAfter: String?, fallback: Duration, cap: Duration) -> Duration {
        if let retryAfter, let seconds = Int(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return min(.seconds(seconds), cap)
        }
        return fallback
    }

    static func sleep(_ duration: Duration) async throws(StoreError) {
        do {
            try await Task.sleep(for: duration)
        } catch {
            throw StoreError(code: .io, message: "cancelled")
        }
    }

    /// `url` without its query string (signed URLs carry their signature there), for messages.
    static func redact(_ url: String) -> String {
        String(url.prefix { $0 != "?" })
    }
}
