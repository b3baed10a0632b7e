import ArgumentParser

/// `storage-cache s3`: direct access to S3 objects with the tool's own client.
struct S3Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3",
        abstract: "List, copy, delete and presign S3 objects.",
        subcommands: [S3ListCommand.self, S3CopyCommand.self, S3RemoveCommand.self, S3PresignCommand.self]
    )
}
