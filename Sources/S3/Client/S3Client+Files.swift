import Foundation
import HTTPTransport

/// One file moved by a directory transfer.
public struct S3TransferItem: Sendable, Equatable {
    /// The local path.
    public var path: String
    /// The object key.
    public var key: String
    /// Bytes moved.
    public var size: Int64
}

extension S3Client {
    /// Uploads the file at `path`: one PutObject up to ``S3ClientConfiguration/multipartThreshold``,
    /// a concurrent multipart upload above it. The file streams from disk.
    @discardableResult
    public func uploadFile(bucket: String, key: String, path: String, options: S3PutOptions = S3PutOptions())
        async throws(S3Error) -> S3PutResult
    {
        let size = try FileSection.size(path: path)
        if size > configuration.multipartThreshold {
            return try await multipartUpload(bucket: bucket, key: key, path: path, size: size, options: options)
        }
        return try await putObject(
            bucket: bucket, key: key, body: .file(path: path, offset: 0, length: size), options: options)
    }

    /// Downloads an object to `path` atomically: into a temporary file in the same directory, renamed over
    /// `path` only when complete. On failure `path` is untouched and the temporary file removed.
    @discardableResult
    public func downloadFile(bucket: String, key: String, to path: String, options: S3GetOptions = S3GetOptions())
        async throws(S3Error) -> S3ObjectHead
    {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".\(UInt32.random(in: 0...UInt32.max)).partial"
        do throws(S3Error) {
            let head = try await getObject(bucket: bucket, key: key, toFile: temporary, options: options)
            guard rename(temporary, path) == 0 else {
                throw S3Error(
                    code: .localFile,
                    message: "cannot move the download into \(path): \(String(cString: strerror(errno)))")
            }
            return head
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Uploads every regular file under `directory` to `prefix` + its relative path (with `/`),
    /// `concurrency` files at once. Symbolic links and special files are skipped.
    public func uploadDirectory(
        _ directory: String, bucket: String, prefix: String, options: S3PutOptions = S3PutOptions(),
        concurrency: Int = 32
    ) async throws(S3Error) -> [S3TransferItem] {
        try S3Validation.validateBucketName(bucket)
        let files = try Self.regularFiles(under: directory)
        let base = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        return try await forEachConcurrently(files, limit: concurrency) { relative throws(S3Error) in
            let path = directory + "/" + relative
            let key = base + relative
            try await self.uploadFile(bucket: bucket, key: key, path: path, options: options)
            return S3TransferItem(path: path, key: key, size: (try? FileSection.size(path: path)) ?? 0)
        }
    }

    /// Downloads every object under the directory-like `prefix` (`prefix/…`) into `directory` (by the key's part
    /// after the prefix), `concurrency` at once, each file atomically. Keys that would land outside `directory`
    /// (`..`, `.`, empty segments) are refused; directory markers (keys ending in `/`) are skipped.
    public func downloadPrefix(
        bucket: String, prefix: String, to directory: String, options: S3GetOptions = S3GetOptions(),
        concurrency: Int = 32
    ) async throws(S3Error) -> [S3TransferItem] {
        // `prefix` names a directory: `tree` means `tree/…`, never `treehouse/…`.
        let base = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        let listing = try await listObjects(bucket: bucket, prefix: base)
        var items: [S3TransferItem] = []
        for object in listing.objects where !object.key.hasSuffix("/") {
            var relative = String(object.key.dropFirst(base.count))
            while relative.hasPrefix("/") { relative.removeFirst() }
            let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
            guard !relative.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
                throw S3Error(
                    code: .invalidInput, message: "refusing key \"\(object.key)\": it is not a safe relative path")
            }
            items.append(S3TransferItem(path: directory + "/" + relative, key: object.key, size: object.size))
        }
        var directories = Set<String>()
        for item in items { directories.insert(URL(fileURLWithPath: item.path).deletingLastPathComponent().path) }
        for path in directories.sorted() {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw S3Error(code: .localFile, message: "cannot create directory \(path)")
            }
        }
        return try await forEachConcurrently(items, limit: concurrency) { item throws(S3Error) in
            try await self.downloadFile(bucket: bucket, key: item.key, to: item.path, options: options)
            return item
        }
    }

    /// Relative paths of the regular files under `directory`, sorted.
    static func regularFiles(under directory: String) throws(S3Error) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw S3Error(code: .localFile, message: "cannot read directory \(directory)")
        }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let type = enumerator.fileAttributes?[.type] as? FileAttributeType
            if type == .typeRegular { files.append(relative) }
        }
        return files.sorted()
    }
}
