import Foundation
import HTTPTransport
import Hashing

/// What S3 says about a stored object.
public struct S3ObjectHead: Sendable, Equatable {
    /// The size in bytes (of the whole object, even for a ranged GET).
    public var contentLength: Int64
    /// The ETag, with its quotes.
    public var etag: String?
    /// `Content-Type`.
    public var contentType: String?
    /// `Last-Modified` as sent.
    public var lastModified: String?
    /// User metadata (`x-amz-meta-*`), names without the prefix.
    public var metadata: [String: String]
    /// The storage class (`nil` for STANDARD).
    public var storageClass: String?
    /// `x-amz-server-side-encryption`.
    public var serverSideEncryption: String?
    /// The version id when versioning is on.
    public var versionID: String?
    /// `x-amz-checksum-sha256` when asked for and stored.
    public var checksumSHA256: String?

    init(headers: HTTPHeaders) {
        contentLength = Int64(headers["Content-Length"] ?? "") ?? 0
        if let range = headers["Content-Range"], let total = range.split(separator: "/").last, let size = Int64(total) {
            contentLength = size
        }
        etag = headers["ETag"]
        contentType = headers["Content-Type"]
        lastModified = headers["Last-Modified"]
        var metadata: [String: String] = [:]
        for field in headers where field.name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(field.name.lowercased().dropFirst("x-amz-meta-".count))] = field.value
        }
        self.metadata = metadata
        storageClass = headers["x-amz-storage-class"]
        serverSideEncryption = headers["x-amz-server-side-encryption"]
        versionID = headers["x-amz-version-id"]
        checksumSHA256 = headers["x-amz-checksum-sha256"]
    }
}

/// The answer to a write.
public struct S3PutResult: Sendable, Equatable {
    /// The new object's ETag (not an MD5 for multipart or KMS objects).
    public var etag: String?
    /// The version id when versioning is on.
    public var versionID: String?
}

/// Options for reads.
public struct S3GetOptions: Sendable, Equatable {
    /// A byte range, inclusive at both ends (`Range: bytes=lower-upper`).
    public var range: ClosedRange<Int64>?
    /// Read only if the ETag is this.
    public var ifMatch: String?
    /// The SSE-C key the object was written with.
    public var customerKey: S3ServerSideEncryption?

    public init(range: ClosedRange<Int64>? = nil, ifMatch: String? = nil, customerKey: S3ServerSideEncryption? = nil) {
        self.range = range
        self.ifMatch = ifMatch
        self.customerKey = customerKey
    }

    func headers() -> HTTPHeaders {
        var headers = HTTPHeaders()
        if let range { headers.add(name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound)") }
        if let ifMatch { headers.add(name: "If-Match", value: ifMatch) }
        for (name, value) in customerKey?.customerKeyHeaders() ?? [] { headers.add(name: name, value: value) }
        return headers
    }
}

extension S3Client {
    /// Writes one object with a single PutObject. `body` streams from a file or comes from memory.
    ///
    /// With ``S3PutOptions/checksumSHA256`` the body's SHA-256 is sent for S3 to verify (a mismatch is an
    /// ``S3Error/Code/integrity`` error).
    @discardableResult
    public func putObject(bucket: String, key: String, body: HTTPRequestBody, options: S3PutOptions = S3PutOptions())
        async throws(S3Error) -> S3PutResult
    {
        try S3Validation.validateBucketName(bucket)
        try S3Validation.validateKey(key)
        var operation = S3Operation(name: "PutObject", method: "PUT", bucket: bucket, key: key, body: body)
        for (name, value) in options.objectHeaders() + options.conditionHeaders() {
            operation.headers.add(name: name, value: value)
        }
        if let known = options.knownSHA256, let digest = Hex.decode(known), digest.count == 32 {
            operation.payloadHash = known.lowercased()
            operation.headers.add(name: "x-amz-checksum-sha256", value: Data(digest).base64EncodedString())
            operation.headers.add(name: "x-amz-sdk-checksum-algorithm", value: "SHA256")
        } else if options.checksumSHA256 || configuration.endpoint.isPlainHTTP {
            let digest = try Self.sha256(of: body)
            operation.payloadHash = Hex.encode(digest)
            if options.checksumSHA256 {
                operation.headers.add(name: "x-amz-checksum-sha256", value: Data(digest).base64EncodedString())
                operation.headers.add(name: "x-amz-sdk-checksum-algorithm", value: "SHA256")
            }
        }
        do {
            let response = try await send(operation)
            return S3PutResult(etag: response.headers["ETag"], versionID: response.headers["x-amz-version-id"])
        } catch  where error.code == .preconditionFailed && options.ifNoneMatch == "*" {
            // A create-only write refused because the object exists may have been our own earlier attempt whose
            // answer was lost (a retry, or libcurl resending on a dead connection): compare before calling it
            // a conflict.
            if let etag = try await existingETag(bucket: bucket, key: key, options: options),
                etag == "\"" + Hex.encode(try Self.md5(of: body)) + "\""
            {
                logger.debug("s3 create-only write was made by an earlier attempt", metadata: ["key": "\(key)"])
                return S3PutResult(etag: etag, versionID: nil)
            }
            throw error
        }
    }

    /// The ETag of an existing object, `nil` when there is none or it cannot be compared (SSE-KMS, SSE-C).
    func existingETag(bucket: String, key: String, options: S3PutOptions) async throws(S3Error) -> String? {
        switch options.serverSideEncryption {
        case .kms, .customerKey: return nil
        case .s3, nil: break
        }
        do {
            return try await headObject(bucket: bucket, key: key).etag
        } catch  where error.code == .notFound {
            return nil
        }
    }

    /// MD5 of a request body, streamed for files.
    static func md5(of body: HTTPRequestBody) throws(S3Error) -> [UInt8] {
        switch body {
        case .empty: MD5.digest([])
        case .bytes(let bytes): MD5.digest(bytes)
        case .file(let path, let offset, let length): try MD5.digest(path: path, offset: offset, length: length)
        }
    }

    /// Reads an object (or a range of it) into the file at `path`, written in place from offset 0.
    ///
    /// The file is overwritten directly; ``downloadFile(bucket:key:to:options:)`` swaps it in atomically.
    @discardableResult
    public func getObject(bucket: String, key: String, toFile path: String, options: S3GetOptions = S3GetOptions())
        async throws(S3Error) -> S3ObjectHead
    {
        try S3Validation.validateBucketName(bucket)
        try S3Validation.validateKey(key)
        let operation = S3Operation(
            name: "GetObject", method: "GET", bucket: bucket, key: key, headers: options.headers(),
            destination: .file(path: path, offset: 0))
        let response = try await send(operation)
        if let expected = Int64(response.headers["Content-Length"] ?? ""), expected != response.bytesReceived {
            throw S3Error(
                code: .integrity,
                message: "GetObject s3://\(bucket)/\(key): got \(response.bytesReceived) of \(expected) bytes")
        }
        return S3ObjectHead(headers: response.headers)
    }

    /// Reads a small object (or range) into memory, up to `limit` bytes.
    public func getObjectBytes(
        bucket: String, key: String, options: S3GetOptions = S3GetOptions(), limit: Int = 16 << 20
    ) async throws(S3Error) -> (bytes: [UInt8], head: S3ObjectHead) {
        try S3Validation.validateBucketName(bucket)
        try S3Validation.validateKey(key)
        let operation = S3Operation(
            name: "GetObject", method: "GET", bucket: bucket, key: key, headers: options.headers(),
            destination: .memory(limit: limit))
        let response = try await send(operation)
        return (response.body, S3ObjectHead(headers: response.headers))
    }

    /// What S3 knows about an object; throws ``S3Error/Code/notFound`` when there is none.
    public func headObject(bucket: String, key: String, options: S3GetOptions = S3GetOptions()) async throws(S3Error)
        -> S3ObjectHead
    {
        try S3Validation.validateBucketName(bucket)
        try S3Validation.validateKey(key)
        var headers = options.headers()
        headers.remove(name: "Range")
        let response = try await send(
            S3Operation(name: "HeadObject", method: "HEAD", bucket: bucket, key: key, headers: headers))
        return S3ObjectHead(headers: response.headers)
    }

    /// Deletes one object (S3 answers success for a missing key too).
    public func deleteObject(bucket: String, key: String) async throws(S3Error) {
        try S3Validation.validateBucketName(bucket)
        try S3Validation.validateKey(key)
        _ = try await send(S3Operation(name: "DeleteObject", method: "DELETE", bucket: bucket, key: key))
    }

    /// Creates a bucket (in the client's region); succeeds when this account already owns it.
    public func createBucket(_ bucket: String) async throws(S3Error) {
        try S3Validation.validateBucketName(bucket)
        let region = region(for: bucket)
        var body: HTTPRequestBody = .empty
        if region != "us-east-1" {
            let xml =
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(XMLEscaping.escape(region))</LocationConstraint></CreateBucketConfiguration>"
            body = .bytes(Array(xml.utf8))
        }
        do {
            _ = try await send(S3Operation(name: "CreateBucket", method: "PUT", bucket: bucket, body: body))
        } catch  where error.s3Code == "BucketAlreadyOwnedByYou" {
            return
        }
    }

    /// Deletes an empty bucket.
    public func deleteBucket(_ bucket: String) async throws(S3Error) {
        try S3Validation.validateBucketName(bucket)
        _ = try await send(S3Operation(name: "DeleteBucket", method: "DELETE", bucket: bucket))
    }

    /// SHA-256 of a request body, streamed for files.
    static func sha256(of body: HTTPRequestBody) throws(S3Error) -> [UInt8] {
        switch body {
        case .empty: Digest.sha256([UInt8]())
        case .bytes(let bytes): Digest.sha256(bytes)
        case .file(let path, let offset, let length): try FileSection.sha256(path: path, offset: offset, length: length)
        }
    }
}
