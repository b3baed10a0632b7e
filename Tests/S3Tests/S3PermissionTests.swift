import Testing

@testable import S3

@Suite struct S3PermissionTests {
    @Test(arguments: [
        ("ListObjectsV2", "s3:ListBucket", "arn:aws:s3:::bkt"),
        ("HeadObject", "s3:GetObject", "arn:aws:s3:::bkt/opencode-storage/*"),
        ("GetObject", "s3:GetObject", "arn:aws:s3:::bkt/opencode-storage/*"),
        ("PutObject", "s3:PutObject", "arn:aws:s3:::bkt/opencode-storage/*"),
        ("CreateMultipartUpload", "s3:PutObject", "arn:aws:s3:::bkt/opencode-storage/*"),
        ("UploadPart", "s3:PutObject", "arn:aws:s3:::bkt/opencode-storage/*"),
        ("CompleteMultipartUpload", "s3:PutObject", "arn:aws:s3:::bkt/opencode-storage/*"),
        ("DeleteObject", "s3:DeleteObject", "arn:aws:s3:::bkt/opencode-storage/*"),
        ("DeleteObjects", "s3:DeleteObject", "arn:aws:s3:::bkt/opencode-storage/*"),
    ])
    func eachOperationNamesItsAction(operation: String, action: String, resource: String) throws {
        let permission = try #require(
            S3Permission.denied(
                operation: operation, bucket: "bkt", key: "opencode-storage/github/o-r/manifest.json",
                prefix: "opencode-storage", message: "Access Denied"))
        #expect(permission.action == action)
        #expect(permission.resource == resource)
        #expect(
            permission.statement == "{\"Effect\": \"Allow\", \"Action\": \"\(action)\", \"Resource\": \"\(resource)\"}")
    }

    @Test func withoutAPrefixTheKeyItselfIsNamed() throws {
        let permission = try #require(
            S3Permission.denied(operation: "GetObject", bucket: "bkt", key: "a/b", prefix: nil, message: nil))
        #expect(permission.resource == "arn:aws:s3:::bkt/a/b")
    }

    @Test func theActionS3NamesWins() throws {
        let message =
            "User: arn:aws:iam::123456789012:user/bot is not authorized to perform: kms:Decrypt on resource: "
            + "arn:aws:kms:us-east-1:123456789012:key/abcd because no identity-based policy allows it"
        let kms = try #require(
            S3Permission.denied(operation: "GetObject", bucket: "bkt", key: "k", prefix: "p", message: message))
        #expect(kms.action == "kms:Decrypt")
        #expect(kms.resource == "arn:aws:kms:us-east-1:123456789012:key/abcd")
        let list = try #require(
            S3Permission.denied(
                operation: "HeadObject", bucket: "bkt", key: "k", prefix: "p",
                message: "is not authorized to perform: s3:ListBucket on resource: arn:aws:s3:::bkt"))
        #expect(list.action == "s3:ListBucket")
        #expect(list.resource == "arn:aws:s3:::bkt")
    }

    @Test func kmsMessagesMapToTheKMSActionOfTheDirection() throws {
        let write = try #require(
            S3Permission.denied(
                operation: "PutObject", bucket: "bkt", key: "k", prefix: "p",
                message: "KMS.AccessDeniedException: access denied"))
        #expect(write.action == "kms:GenerateDataKey")
        let read = try #require(
            S3Permission.denied(
                operation: "GetObject", bucket: "bkt", key: "k", prefix: "p", message: "kms key access denied"))
        #expect(read.action == "kms:Decrypt")
    }
}
