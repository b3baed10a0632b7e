import CCurl
import Testing

@testable import HTTPTransport

@Suite("Transport internals")
struct InternalsTests {
    @Test func redactedURLKeepsOriginAndPathOnly() {
        let url = RedactedURL("https://user:pw@Bucket.S3.amazonaws.com/a/b%20c?X-Amz-Signature=abc&x=1#frag")
        #expect(url.origin == "https://bucket.s3.amazonaws.com:443")
        #expect(url.path == "/a/b%20c")
        #expect(url.secretQuery == "X-Amz-Signature=abc&x=1")
        #expect(RedactedURL("http://127.0.0.1:4566").origin == "http://127.0.0.1:4566")
        #expect(RedactedURL("http://127.0.0.1:4566").path == "/")
        #expect(RedactedURL("http://[::1]/x").origin == "http://[::1]:80")
        #expect(RedactedURL("http://[::1]:8080/x").origin == "http://[::1]:8080")
    }

    @Test func scrubRemovesQueriesFromCurlMessages() {
        let url = RedactedURL("http://h/k?X-Amz-Signature=SECRET")
        #expect(!url.scrub("bad thing near X-Amz-Signature=SECRET").contains("SECRET"))
        #expect(url.scrub("cannot GET http://h/k?other=SECRET2 now") == "cannot GET http://h/k?[redacted] now")
    }

    @Test func settingsReadAWSCABundleUnlessConfigured() {
        let environment: (String) -> String? = { $0 == "AWS_CA_BUNDLE" ? "/etc/env-bundle.pem" : nil }
        var configuration = HTTPClientConfiguration()
        #expect(CurlSettings(configuration, environment: environment).caBundlePath == "/etc/env-bundle.pem")
        #expect(CurlSettings(configuration, environment: { _ in "" }).caBundlePath == nil)
        configuration.caBundlePath = "/etc/configured.pem"
        #expect(CurlSettings(configuration, environment: environment).caBundlePath == "/etc/configured.pem")
    }

    @Test func settingsRoundDurationsForCurl() {
        var configuration = HTTPClientConfiguration()
        configuration.lowSpeedTime = .milliseconds(200)
        configuration.connectTimeout = .milliseconds(1500)
        configuration.totalTimeout = .seconds(2)
        let settings = CurlSettings(configuration)
        #expect(settings.lowSpeedTimeSeconds == 1)
        #expect(settings.connectTimeoutMilliseconds == 1500)
        #expect(settings.totalTimeoutMilliseconds == 2000)
    }

    @Test func curlCodesMapToErrorKinds() {
        #expect(CurlError.code(for: CURLE_COULDNT_CONNECT) == .couldNotConnect)
        #expect(CurlError.code(for: CURLE_COULDNT_RESOLVE_HOST) == .couldNotConnect)
        #expect(CurlError.code(for: CURLE_OPERATION_TIMEDOUT) == .timedOut)
        #expect(CurlError.code(for: CURLE_PEER_FAILED_VERIFICATION) == .tls)
        #expect(CurlError.code(for: CURLE_RECV_ERROR) == .network)
        #expect(CurlError.code(for: CURLE_PARTIAL_FILE) == .network)
        #expect(CurlError.code(for: CURLE_HTTP2_STREAM) == .network)
        #expect(CurlError.code(for: CURLE_READ_ERROR) == .localFile)
        #expect(CurlError.code(for: CURLE_URL_MALFORMAT) == .invalidRequest)
    }
}
