import ArgumentParser
import S3

/// `storage-cache s3 ls [--recursive] s3://bucket/prefix`.
struct S3ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List objects under an s3://bucket/prefix.")

    @OptionGroup var s3: S3CommandOptions

    @Flag(name: .shortAndLong, help: "List every object under the prefix instead of one level.")
    var recursive = false

    @Argument(help: "s3://bucket[/prefix]")
    var target: String

    func run() async throws {
        try await runS3Command { () throws(S3Error) in
            let uri = try S3URI(parsing: target)
            let client = try s3.makeClient()
            let listing = try await client.listObjects(
                bucket: uri.bucket, prefix: uri.key, delimiter: recursive ? nil : "/")
            let base =
                recursive
                ? ""
                : String(
                    uri.key[..<(uri.key.lastIndex(of: "/").map { uri.key.index(after: $0) } ?? uri.key.startIndex)])
            for prefix in listing.commonPrefixes {
                printLine("                           PRE \(prefix.dropFirst(base.count))")
            }
            for object in listing.objects {
                let size = String(object.size)
                let padded = String(repeating: " ", count: max(0, 10 - size.count)) + size
                printLine("\(object.lastModified ?? "-") \(padded) \(object.key.dropFirst(base.count))")
            }
        }
    }
}
