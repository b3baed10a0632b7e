import ArgumentParser
import S3

/// `storage-cache s3 rm [--recursive] s3://bucket/key`.
struct S3RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Delete an object, or with --recursive every object under a prefix.")

    @OptionGroup var s3: S3CommandOptions

    @Flag(
        name: .shortAndLong,
        help: "Delete every object under the prefix taken as a directory (DeleteObjects, 1,000 per request).")
    var recursive = false

    @Argument(help: "s3://bucket/key, or s3://bucket/prefix with --recursive")
    var target: String

    func run() async throws {
        try await runS3Command { () throws(S3Error) in
            let uri = try S3URI(parsing: target)
            let client = try s3.makeClient()
            guard recursive else {
                try S3Validation.validateKey(uri.key)
                try await client.deleteObject(bucket: uri.bucket, key: uri.key)
                printLine("delete: \(uri)")
                return
            }
            // A prefix names a directory: `tree` deletes `tree/…`, never `treehouse/…`.
            let prefix = uri.key.isEmpty || uri.key.hasSuffix("/") ? uri.key : uri.key + "/"
            let keys = try await client.listObjects(bucket: uri.bucket, prefix: prefix).objects.map(\.key)
            let failures = try await client.deleteObjects(bucket: uri.bucket, keys: keys)
            for failure in failures {
                printLine("delete failed: s3://\(uri.bucket)/\(failure.key): \(failure.code) \(failure.message)")
            }
            printLine(
                "deleted \(keys.count - failures.count) of \(keys.count) objects under s3://\(uri.bucket)/\(uri.key)")
            if let first = failures.first {
                let denied = failures.allSatisfy { $0.code == "AccessDenied" }
                throw S3Error(
                    code: denied ? .accessDenied : .other,
                    message: "\(failures.count) objects could not be deleted (first: \(first.key): \(first.code))")
            }
        }
    }
}
