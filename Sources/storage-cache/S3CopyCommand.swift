import ArgumentParser
import Foundation
import S3

/// `storage-cache s3 cp [--recursive] SOURCE DESTINATION`, local → S3 or S3 → local.
struct S3CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy a file or, with --recursive, a directory to or from S3.")

    @OptionGroup var s3: S3CommandOptions

    @Flag(name: .shortAndLong, help: "Copy a whole directory / prefix.")
    var recursive = false

    @Option(help: "Files in flight at once with --recursive.")
    var concurrency: Int = 32

    @Option(help: "Content-Type of uploaded objects.")
    var contentType: String?

    @Option(help: "Storage class of uploaded objects (STANDARD, STANDARD_IA, GLACIER_IR, …).")
    var storageClass: String?

    @Option(help: "Server-side encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS).")
    var sse: String?

    @Option(help: "KMS key id or ARN for --sse aws:kms.")
    var sseKmsKeyId: String?

    @Option(help: "A file holding the 32-byte SSE-C key (raw), for uploads and downloads.")
    var sseCKeyFile: String?

    @Option(help: "User metadata NAME=VALUE (x-amz-meta-NAME); repeatable.")
    var metadata: [String] = []

    @Flag(help: "Send a SHA-256 checksum that S3 verifies.")
    var checksumSha256 = false

    @Flag(help: "Upload only if the object does not exist yet (If-None-Match: *).")
    var noOverwrite = false

    @Argument(help: "A local path or s3://bucket/key")
    var source: String

    @Argument(help: "A local path or s3://bucket/key")
    var destination: String

    func run() async throws {
        try await runS3Command { () throws(S3Error) in
            guard (1...1024).contains(concurrency) else {
                throw .invalidInput("--concurrency must be 1 to 1024, not \(concurrency)")
            }
            switch (S3URI.isS3(source), S3URI.isS3(destination)) {
            case (false, true): try await upload(to: try S3URI(parsing: destination))
            case (true, false): try await download(from: try S3URI(parsing: source))
            case (true, true): throw .invalidInput("copying from S3 to S3 is not supported; one side must be local")
            case (false, false): throw .invalidInput("one of SOURCE and DESTINATION must be an s3:// address")
            }
        }
    }

    private func customerKey() throws(S3Error) -> S3ServerSideEncryption? {
        guard let sseCKeyFile else { return nil }
        guard let data = FileManager.default.contents(atPath: sseCKeyFile), data.count == 32 else {
            throw .invalidInput("--sse-c-key-file must name a readable file of exactly 32 bytes")
        }
        return .customerKey([UInt8](data))
    }

    private func putOptions() throws(S3Error) -> S3PutOptions {
        var options = S3PutOptions(
            contentType: contentType, storageClass: storageClass, checksumSHA256: checksumSha256,
            ifNoneMatch: noOverwrite ? "*" : nil)
        for item in metadata {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw .invalidInput("--metadata must be NAME=VALUE, not \"\(item)\"")
            }
            options.metadata[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        switch sse {
        case nil:
            if sseKmsKeyId != nil { throw .invalidInput("--sse-kms-key-id needs --sse aws:kms") }
        case "AES256": options.serverSideEncryption = .s3
        case "aws:kms": options.serverSideEncryption = .kms(keyID: sseKmsKeyId)
        case let other?: throw .invalidInput("--sse must be AES256 or aws:kms, not \"\(other)\"")
        }
        if let key = try customerKey() {
            guard options.serverSideEncryption == nil else {
                throw .invalidInput("--sse and --sse-c-key-file cannot be combined")
            }
            options.serverSideEncryption = key
        }
        return options
    }

    private func upload(to uri: S3URI) async throws(S3Error) {
        let options = try putOptions()
        let client = try s3.makeClient(concurrency: concurrency)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw S3Error(code: .notFound, message: "\(source) does not exist")
        }
        if isDirectory.boolValue {
            guard recursive else { throw .invalidInput("\(source) is a directory; pass --recursive") }
            let items = try await client.uploadDirectory(
                source, bucket: uri.bucket, prefix: uri.key, options: options, concurrency: concurrency)
            printLine("uploaded \(items.count) files (\(items.reduce(0) { $0 + $1.size }) bytes) to \(uri)")
            return
        }
        var key = uri.key
        if key.isEmpty || key.hasSuffix("/") { key += URL(fileURLWithPath: source).lastPathComponent }
        try S3Validation.validateKey(key)
        try await client.uploadFile(bucket: uri.bucket, key: key, path: source, options: options)
        printLine("upload: \(source) to s3://\(uri.bucket)/\(key)")
    }

    private func download(from uri: S3URI) async throws(S3Error) {
        let options = S3GetOptions(customerKey: try customerKey())
        let client = try s3.makeClient(concurrency: concurrency)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory)
        if recursive {
            if exists && !isDirectory.boolValue { throw .invalidInput("\(destination) exists and is not a directory") }
            do {
                try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
            } catch {
                throw S3Error(code: .localFile, message: "cannot create directory \(destination)")
            }
            let items = try await client.downloadPrefix(
                bucket: uri.bucket, prefix: uri.key, to: destination, options: options, concurrency: concurrency)
            printLine("downloaded \(items.count) files (\(items.reduce(0) { $0 + $1.size }) bytes) to \(destination)")
            return
        }
        try S3Validation.validateKey(uri.key)
        var path = destination
        if (exists && isDirectory.boolValue) || destination.hasSuffix("/") {
            let name = uri.key.split(separator: "/").last.map(String.init) ?? uri.key
            path = (destination.hasSuffix("/") ? destination : destination + "/") + name
        }
        try await client.downloadFile(bucket: uri.bucket, key: uri.key, to: path, options: options)
        printLine("download: \(uri) to \(path)")
    }
}
