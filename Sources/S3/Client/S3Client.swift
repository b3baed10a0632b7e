import Foundation
import HTTPTransport
import Hashing
import Logging
import Synchronization

/// A client for the S3 API over ``HTTPClient``: objects, listings, batch deletes, multipart uploads and
/// presigned URLs, signed with SigV4 and retried per ``RetryPolicy``.
///
/// Bodies stream from and to files and are never held whole in memory. One client can be shared by many tasks.
public final class S3Client: Sendable {
    /// The settings this client was created with.
    public let configuration: S3ClientConfiguration
    let http: HTTPClient
    let credentialProvider: any CredentialProvider
    let logger: Logger
    /// Regions learnt from S3's redirects, by bucket.
    let bucketRegions = Mutex<[String: String]>([:])
    /// Whether the endpoint passed ``S3EndpointSafety/checkResolved(_:allowInsecure:)``.
    let endpointChecked = Mutex<Bool>(false)

    /// Creates a client sending through `http`, signing with credentials from `credentials`.
    public init(
        configuration: S3ClientConfiguration, credentials: any CredentialProvider, http: HTTPClient, logger: Logger
    ) {
        self.configuration = configuration
        self.http = http
        self.credentialProvider = credentials
        self.logger = logger
    }

    /// The region requests for `bucket` are signed for.
    func region(for bucket: String?) -> String {
        guard let bucket else { return configuration.region }
        return bucketRegions.withLock { $0[bucket] } ?? configuration.region
    }

    /// Current credentials, as an ``S3Error/Code/accessDenied`` error when there are none.
    func currentCredentials() async throws(S3Error) -> AWSCredentials {
        do {
            return try await credentialProvider.credentials()
        } catch {
            throw S3Error(code: .accessDenied, message: "no AWS credentials: \(error)")
        }
    }
}

/// One S3 API call before addressing and signing.
struct S3Operation: Sendable {
    /// The API name, for messages and logs (`PutObject`).
    var name: String
    var method: String
    var bucket: String?
    var key: String?
    var query: [(String, String?)] = []
    var headers: HTTPHeaders = [:]
    var body: HTTPRequestBody = .empty
    /// Lower-case hex SHA-256 of the body when already known.
    var payloadHash: String?
    var destination: HTTPResponseDestination = .memory
    /// Statuses that count as success.
    var success: ClosedRange<Int> = 200...299
    /// Whether a 2xx answer may still carry an `<Error>` document (CompleteMultipartUpload, CopyObject).
    var successMayHideError = false
}

extension S3Client {
    /// Sends `operation`, retrying per the policy and following region redirects; returns the successful answer.
    func send(_ operation: S3Operation) async throws(S3Error) -> HTTPResponse {
        try checkEndpoint()
        let payloadHash = try payloadHash(for: operation)
        let policy = configuration.retryPolicy
        var attempt = 0
        var regionCorrections = 0
        while true {
            attempt += 1
            let region = region(for: operation.bucket)
            let endpoint = configuration.endpoint.with(region: region)
            let url = endpoint.url(bucket: operation.bucket, key: operation.key, query: operation.query)
            var headers = operation.headers
            if let owner = configuration.expectedBucketOwner, operation.bucket != nil, operation.name != "CreateBucket"
            {
                headers.replaceOrAdd(name: "x-amz-expected-bucket-owner", value: owner)
            }
            let credentials = try await currentCredentials()
            let signingURL =
                S3Endpoint.hasDotSegments(operation.key)
                ? endpoint.signingURL(bucket: operation.bucket, key: operation.key, query: operation.query) : url
            SigV4Signer(region: region).sign(
                method: operation.method, url: signingURL, headers: &headers, payloadHash: payloadHash,
                credentials: credentials)
            var request = HTTPRequest(
                method: operation.method, url: url, headers: headers, body: operation.body,
                destination: operation.destination)
            request.connectionCheck = S3EndpointSafety.connectionCheck
            let host = endpoint.authority(for: operation.bucket)
            let path = Self.logPath(bucket: operation.bucket, key: operation.key, endpoint: endpoint)

            let failure: S3Error
            do {
                let response = try await http.execute(request)
                logger.debug(
                    "s3 request",
                    metadata: [
                        "op": "\(operation.name)", "method": "\(operation.method)", "host": "\(host)",
                        "path": "\(path)", "status": "\(response.status)", "attempt": "\(attempt)",
                    ])
                if operation.success.contains(response.status) {
                    guard operation.successMayHideError, let body = S3ErrorBody.parse(response.body) else {
                        return response
                    }
                    failure = Self.error(
                        operation: operation, status: response.status, headers: response.headers, body: body)
                } else {
                    failure = Self.error(operation: operation, response: response)
                }
            } catch {
                logger.debug(
                    "s3 request failed",
                    metadata: [
                        "op": "\(operation.name)", "method": "\(operation.method)", "host": "\(host)",
                        "path": "\(path)", "error": "\(error.message)", "attempt": "\(attempt)",
                    ])
                failure = S3Error(
                    code: error.code == .localFile
                        ? .localFile : error.code == .invalidRequest ? .invalidInput : .network,
                    message: "\(operation.name) failed: \(error.message)", transportError: error)
            }

            if failure.code == .wrongRegion, configuration.followRegionRedirects, regionCorrections == 0,
                let bucket = operation.bucket, let newRegion = failure.bucketRegion, newRegion != region
            {
                regionCorrections += 1
                attempt -= 1
                bucketRegions.withLock { $0[bucket] = newRegion }
                logger.debug(
                    "s3 bucket is in another region", metadata: ["bucket": "\(bucket)", "region": "\(newRegion)"])
                continue
            }
            guard attempt < policy.maxAttempts, policy.shouldRetry(failure) else {
                var final = failure.code == .accessDenied ? explainDenied(failure, operation: operation) : failure
                final.attempts = attempt + regionCorrections
                throw final
            }
            let delay = policy.backoff(afterAttempt: attempt)
            logger.debug(
                "s3 retrying",
                metadata: ["op": "\(operation.name)", "attempt": "\(attempt)", "delay": "\(delay)"])
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw S3Error(code: .network, message: "\(operation.name) was cancelled")
            }
        }
    }

    /// The path to show in logs: the bucket and key, never a query.
    static func logPath(bucket: String?, key: String?, endpoint: S3Endpoint) -> String {
        var path = "/"
        if let bucket, !endpoint.usesVirtualHost(for: bucket) { path += bucket + (key == nil ? "" : "/") }
        if let key { path += key }
        return path
    }

    /// The payload hash to sign: the real hash of in-memory bodies, of file bodies over plain http;
    /// `UNSIGNED-PAYLOAD` for file bodies over https.
    func payloadHash(for operation: S3Operation) throws(S3Error) -> String {
        if let known = operation.payloadHash { return known }
        switch operation.body {
        case .empty: return Digest.sha256Hex([UInt8]())
        case .bytes(let bytes): return Digest.sha256Hex(bytes)
        case .file(let path, let offset, let length):
            guard configuration.endpoint.isPlainHTTP else { return SigV4Signer.unsignedPayload }
            return Hex.encode(try FileSection.sha256(path: path, offset: offset, length: length))
        }
    }

    /// An error built from an unsuccessful answer.
    static func error(operation: S3Operation, response: HTTPResponse) -> S3Error {
        let body = S3ErrorBody.parse(response.body) ?? S3ErrorBody()
        return error(operation: operation, status: response.status, headers: response.headers, body: body)
    }

    static func error(operation: S3Operation, status: Int, headers: HTTPHeaders, body: S3ErrorBody) -> S3Error {
        var s3Code = body.code
        if s3Code == nil {
            switch status {
            case 301: s3Code = "PermanentRedirect"
            case 403: s3Code = "AccessDenied"
            case 404: s3Code = operation.key == nil ? "NoSuchBucket" : "NotFound"
            case 412: s3Code = "PreconditionFailed"
            default: break
            }
        }
        let code = S3Error.classify(s3Code: s3Code, status: status)
        let region = headers["x-amz-bucket-region"] ?? body.region
        var target = operation.bucket.map { "s3://\($0)" } ?? "S3"
        if let key = operation.key { target += "/\(key)" }
        var message = "\(operation.name) \(target): "
        switch code {
        case .notFound: message += body.message ?? (operation.key == nil ? "no such bucket" : "no such key")
        case .accessDenied: message += body.message ?? "access denied"
        case .preconditionFailed: message += body.message ?? "a precondition did not hold"
        case .wrongRegion:
            message +=
                "the bucket is in region \(region ?? "(unknown)"), not the one requested; pass --region \(region ?? "<region>")"
        default: message += body.message ?? "S3 answered HTTP \(status)"
        }
        return S3Error(
            code: code, message: message, s3Code: s3Code, status: status,
            requestID: body.requestID ?? headers["x-amz-request-id"], bucketRegion: region)
    }
}
