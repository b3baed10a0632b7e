import Foundation
import HTTPTransport
import Hashing

/// One uploaded part of a multipart upload.
public struct S3UploadedPart: Sendable, Equatable {
    /// 1-based part number.
    public var partNumber: Int
    /// The part's ETag.
    public var etag: String
    /// The part's base64 SHA-256 when checksums are on.
    public var checksumSHA256: String?

    public init(partNumber: Int, etag: String, checksumSHA256: String? = nil) {
        self.partNumber = partNumber
        self.etag = etag
        self.checksumSHA256 = checksumSHA256
    }
}

extension S3Client {
    /// Uploads `length` bytes of `path` from `offset` as a multipart upload: parts of
    /// ``S3ClientConfiguration/multipartPartSize`` sent ``S3ClientConfiguration/multipartConcurrency`` at a time,
    /// aborted on any failure.
    public func multipartUpload(
        bucket: String, key: String, path: String, size: Int64, options: S3PutOptions = S3PutOptions()
    ) async throws(S3Error) -> S3PutResult {
        try S3Validation.validateBucketName(bucket)
        try S3Validation.validateKey(key)
        let partSize = Self.partSize(for: size, preferred: configuration.multipartPartSize)
        let uploadID = try await createMultipartUpload(bucket: bucket, key: key, options: options)
        do {
            let partCount = max(1, Int((size + partSize - 1) / partSize))
            let numbers = Array(1...partCount)
            let parts = try await forEachConcurrently(numbers, limit: configuration.multipartConcurrency) {
                number throws(S3Error) in
                let offset = Int64(number - 1) * partSize
                let length = min(partSize, size - offset)
                return try await self.uploadPart(
                    bucket: bucket, key: key, uploadID: uploadID, partNumber: number,
                    body: .file(path: path, offset: offset, length: length), options: options)
            }
            return try await completeMultipartUpload(
                bucket: bucket, key: key, uploadID: uploadID, parts: parts, options: options)
        } catch {
            await abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    /// The part size for `size` bytes: `preferred`, grown so no more than 10,000 parts are needed.
    static func partSize(for size: Int64, preferred: Int64) -> Int64 {
        var partSize = max(preferred, 5 << 20)
        while (size + partSize - 1) / partSize > 10_000 { partSize *= 2 }
        return partSize
    }

    /// CreateMultipartUpload; returns the upload id.
    public func createMultipartUpload(bucket: String, key: String, options: S3PutOptions = S3PutOptions())
        async throws(S3Error) -> String
    {
        var operation = S3Operation(
            name: "CreateMultipartUpload", method: "POST", bucket: bucket, key: key, query: [("uploads", "")])
        for (name, value) in options.objectHeaders() { operation.headers.add(name: name, value: value) }
        if options.checksumSHA256 { operation.headers.add(name: "x-amz-checksum-algorithm", value: "SHA256") }
        let response = try await send(operation)
        return try InitiateMultipartUploadResult.parseUploadID(response.body)
    }

    /// UploadPart of `body`.
    public func uploadPart(
        bucket: String, key: String, uploadID: String, partNumber: Int, body: HTTPRequestBody,
        options: S3PutOptions = S3PutOptions()
    ) async throws(S3Error) -> S3UploadedPart {
        var operation = S3Operation(
            name: "UploadPart", method: "PUT", bucket: bucket, key: key,
            query: [("partNumber", String(partNumber)), ("uploadId", uploadID)], body: body)
        for (name, value) in options.serverSideEncryption?.customerKeyHeaders() ?? [] {
            operation.headers.add(name: name, value: value)
        }
        var checksum: String?
        if options.checksumSHA256 || configuration.endpoint.isPlainHTTP {
            let digest = try Self.sha256(of: body)
            operation.payloadHash = Hex.encode(digest)
            if options.checksumSHA256 {
                checksum = Data(digest).base64EncodedString()
                operation.headers.add(name: "x-amz-checksum-sha256", value: checksum!)
                operation.headers.add(name: "x-amz-sdk-checksum-algorithm", value: "SHA256")
            }
        }
        let response = try await send(operation)
        guard let etag = response.headers["ETag"] else {
            throw S3Error(
                code: .integrity, message: "UploadPart s3://\(bucket)/\(key): S3 sent no ETag for part \(partNumber)")
        }
        return S3UploadedPart(partNumber: partNumber, etag: etag, checksumSHA256: checksum)
    }

    /// CompleteMultipartUpload; a 200 answer whose body is an `<Error>` is an error (and retried when transient).
    public func completeMultipartUpload(
        bucket: String, key: String, uploadID: String, parts: [S3UploadedPart], options: S3PutOptions = S3PutOptions()
    ) async throws(S3Error) -> S3PutResult {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(XMLEscaping.escape(part.etag))</ETag>"
            if let checksum = part.checksumSHA256 { xml += "<ChecksumSHA256>\(checksum)</ChecksumSHA256>" }
            xml += "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var operation = S3Operation(
            name: "CompleteMultipartUpload", method: "POST", bucket: bucket, key: key,
            query: [("uploadId", uploadID)], body: .bytes(Array(xml.utf8)))
        operation.headers.add(name: "Content-Type", value: "application/xml")
        for (name, value) in options.conditionHeaders() { operation.headers.add(name: name, value: value) }
        for (name, value) in options.serverSideEncryption?.customerKeyHeaders() ?? [] {
            operation.headers.add(name: name, value: value)
        }
        operation.successMayHideError = true
        let response: HTTPResponse
        do {
            response = try await send(operation)
        } catch  where error.s3Code == "NoSuchUpload" {
            // An earlier attempt (ours, or libcurl's own resend on a dead connection) completed the upload but
            // its answer was lost. Accept the object only if its ETag is the one these exact parts produce.
            let head = try await headObject(
                bucket: bucket, key: key,
                options: S3GetOptions(customerKey: options.serverSideEncryption?.customerKeyOnly))
            guard let expected = Self.multipartETag(of: parts), head.etag == expected else { throw error }
            logger.debug("s3 multipart upload was completed by an earlier attempt", metadata: ["key": "\(key)"])
            return S3PutResult(etag: head.etag, versionID: head.versionID)
        }
        let etag = try CompleteMultipartUploadResult.parseETag(
            response.body, requestID: response.headers["x-amz-request-id"])
        return S3PutResult(etag: etag, versionID: response.headers["x-amz-version-id"])
    }

    /// The ETag S3 gives an object completed from `parts`: MD5 of the parts' binary MD5s, `-` and the count.
    /// `nil` when a part ETag is not an MD5 (SSE-KMS, SSE-C).
    static func multipartETag(of parts: [S3UploadedPart]) -> String? {
        var digests: [UInt8] = []
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            let hex = part.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard hex.utf8.count == 32, let bytes = Hex.decode(hex) else { return nil }
            digests += bytes
        }
        return "\"" + Hex.encode(MD5.digest(digests)) + "-\(parts.count)\""
    }

    /// AbortMultipartUpload, best effort: failures are logged, not thrown.
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async {
        do {
            _ = try await send(
                S3Operation(
                    name: "AbortMultipartUpload", method: "DELETE", bucket: bucket, key: key,
                    query: [("uploadId", uploadID)]))
        } catch {
            logger.warning("could not abort multipart upload", metadata: ["key": "\(key)", "error": "\(error)"])
        }
    }
}
