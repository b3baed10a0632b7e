import ArgumentParser
import S3

/// `storage-cache s3 presign --expires SECONDS s3://bucket/key`.
struct S3PresignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presign", abstract: "Print a presigned URL for an object.")

    @OptionGroup var s3: S3CommandOptions

    @Option(help: "Seconds the URL stays valid (1…604800).")
    var expires: Int = 3600

    @Option(help: "The HTTP method the URL allows (GET or PUT).")
    var method: String = "GET"

    @Argument(help: "s3://bucket/key")
    var target: String

    func run() async throws {
        try await runS3Command { () throws(S3Error) in
            let uri = try S3URI(parsing: target)
            try S3Validation.validateKey(uri.key)
            try S3Validation.validateExpiry(expires)
            let method = method.uppercased()
            guard ["GET", "PUT", "HEAD", "DELETE"].contains(method) else {
                throw .invalidInput("--method must be GET, PUT, HEAD or DELETE, not \(self.method)")
            }
            let client = try s3.makeClient()
            printLine(try await client.presignedURL(method: method, bucket: uri.bucket, key: uri.key, expires: expires))
        }
    }
}
