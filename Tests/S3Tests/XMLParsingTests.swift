import Testing

@testable import S3

@Suite struct XMLParsingTests {
    @Test func listObjectsV2DecodesURLEncodedKeysAndPrefixes() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>bucket</Name><Prefix>p%2F</Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys>
              <Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
              <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
              <Contents><Key>p/a+b%2Bc</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>
                <ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
              <Contents><Key>p/%C3%BCn%C3%AF/c%C3%B8d%C3%A9</Key><Size>0</Size></Contents>
              <Contents><Key>p/100%25%20x%3Dy%26z</Key><Size>7</Size></Contents>
              <CommonPrefixes><Prefix>p/sub%20dir/</Prefix></CommonPrefixes>
            </ListBucketResult>
            """
        let page = try ListObjectsV2Page.parse(Array(xml.utf8))
        #expect(page.objects.map(\.key) == ["p/a b+c", "p/ünï/cødé", "p/100% x=y&z"])
        #expect(page.objects[0].size == 12)
        #expect(page.objects[0].etag == "\"abc\"")
        #expect(page.objects[0].lastModified == "2026-01-01T00:00:00.000Z")
        #expect(page.commonPrefixes == ["p/sub dir/"])
        #expect(page.isTruncated)
        #expect(page.nextContinuationToken == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
    }

    @Test func listObjectsV2WithoutEncodingTypeKeepsKeysVerbatim() throws {
        let xml = """
            <ListBucketResult><IsTruncated>false</IsTruncated>
            <Contents><Key>a+b%20c &amp; d</Key><Size>1</Size></Contents></ListBucketResult>
            """
        let page = try ListObjectsV2Page.parse(Array(xml.utf8))
        #expect(page.objects.map(\.key) == ["a+b%20c & d"])
        #expect(!page.isTruncated)
        #expect(page.nextContinuationToken == nil)
    }

    @Test func listObjectsV2RejectsBadEscapesAndOtherDocuments() {
        let bad =
            "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%zz</Key></Contents></ListBucketResult>"
        #expect(throws: S3Error.self) { try ListObjectsV2Page.parse(Array(bad.utf8)) }
        #expect(throws: S3Error.self) { try ListObjectsV2Page.parse(Array("<Error/>".utf8)) }
        #expect(throws: S3Error.self) { try ListObjectsV2Page.parse(Array("not xml".utf8)) }
    }

    @Test func errorDocumentFieldsAreRead() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>
            <Key>x</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>h</HostId></Error>
            """
        let body = S3ErrorBody.parse(Array(xml.utf8))
        #expect(body?.code == "NoSuchKey")
        #expect(body?.message == "The specified key does not exist.")
        #expect(body?.requestID == "4442587FB7D0A2F9")
        #expect(S3ErrorBody.parse([]) == nil)
        #expect(S3ErrorBody.parse(Array("<ListBucketResult/>".utf8)) == nil)
    }

    @Test func authorizationHeaderMalformedNamesTheRegion() {
        let xml = "<Error><Code>AuthorizationHeaderMalformed</Code><Region>eu-west-1</Region></Error>"
        #expect(S3ErrorBody.parse(Array(xml.utf8))?.region == "eu-west-1")
    }

    @Test func deleteResultSurfacesPerKeyErrors() throws {
        let xml = """
            <DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Deleted><Key>ok</Key></Deleted>
              <Error><Key>locked &amp; loaded</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
              <Error><Key>b</Key><Code>InternalError</Code><Message>try again</Message></Error>
            </DeleteResult>
            """
        let result = try DeleteObjectsResult.parse(Array(xml.utf8))
        #expect(result.deleted == ["ok"])
        #expect(
            result.failures == [
                S3DeleteFailure(key: "locked & loaded", code: "AccessDenied", message: "Access Denied"),
                S3DeleteFailure(key: "b", code: "InternalError", message: "try again"),
            ])
    }

    @Test func initiateMultipartUploadResultGivesTheUploadID() throws {
        let xml = """
            <InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
            <Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE-.~_</UploadId></InitiateMultipartUploadResult>
            """
        #expect(try InitiateMultipartUploadResult.parseUploadID(Array(xml.utf8)) == "VXBsb2FkIElE-.~_")
        #expect(throws: S3Error.self) {
            try InitiateMultipartUploadResult.parseUploadID(Array("<InitiateMultipartUploadResult/>".utf8))
        }
    }

    @Test func completeMultipartUploadReadsTheETag() throws {
        let xml = """
            <CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket><Key>k</Key>
            <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag></CompleteMultipartUploadResult>
            """
        #expect(
            try CompleteMultipartUploadResult.parseETag(Array(xml.utf8), requestID: nil)
                == "\"3858f62230ac3c915f300c664312c11f-9\"")
    }

    @Test func completeMultipartUpload200WithErrorBodyIsAnError() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>

            <Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message>
            <RequestId>656c76696e6727732072657175657374</RequestId></Error>
            """
        do {
            _ = try CompleteMultipartUploadResult.parseETag(Array(xml.utf8), requestID: "header-id")
            Issue.record("a 200 with an <Error> body must throw")
        } catch {
            #expect(error.s3Code == "InternalError")
            #expect(error.status == 200)
            #expect(error.requestID == "656c76696e6727732072657175657374")
            #expect(error.code == .serviceUnavailable)
            #expect(RetryPolicy.standard.shouldRetry(error))
        }
    }

    @Test func formDecodingHandlesPlusPercentAndUTF8() {
        #expect(S3KeyDecoding.formDecode("a+b%2Bc") == "a b+c")
        #expect(S3KeyDecoding.formDecode("%E2%9C%93") == "✓")
        #expect(S3KeyDecoding.formDecode("%") == nil)
        #expect(S3KeyDecoding.formDecode("%FF") == nil)
    }

    @Test func xmlEscapingRoundTripsThroughTheParser() throws {
        let key = "a&b<c>\"d'e\r\nf"
        let xml = "<Root><Key>\(XMLEscaping.escape(key))</Key></Root>"
        #expect(try XMLElementNode.parse(Array(xml.utf8)).text(of: "Key") == key)
    }
}
