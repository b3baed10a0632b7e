import Foundation

/// Where S3 requests go and how buckets are addressed.
///
/// Without a custom endpoint the client talks to AWS (`https://s3.<region>.amazonaws.com`) with
/// virtual-hosted addressing (`https://<bucket>.s3.<region>.amazonaws.com/<key>`), falling back to path
/// style for bucket names with dots (TLS wildcard certificates do not cover them). A custom endpoint
/// (MinIO, LocalStack, R2) uses path style (`<endpoint>/<bucket>/<key>`) unless virtual hosting is asked for.
public struct S3Endpoint: Sendable, Equatable {
    /// `http` or `https`.
    public var scheme: String
    /// The host name, without the bucket.
    public var host: String
    /// The port when not the scheme's default.
    public var port: Int?
    /// Whether this is AWS's own endpoint (host derived from the region).
    public var isAWS: Bool
    /// Whether buckets go in the path rather than the host name.
    public var forcePathStyle: Bool

    /// The AWS endpoint of `region`.
    public static func aws(region: String, forcePathStyle: Bool = false) -> S3Endpoint {
        S3Endpoint(
            scheme: "https", host: "s3.\(region).amazonaws.com", port: nil, isAWS: true, forcePathStyle: forcePathStyle)
    }

    /// Parses a custom endpoint URL such as `http://127.0.0.1:4566`; throws ``S3Error/Code/invalidInput``
    /// unless it is http(s) with a host and at most a `/` path, no query, no user info.
    public static func custom(_ url: String, forcePathStyle: Bool = true) throws(S3Error) -> S3Endpoint {
        func fail(_ reason: String) -> S3Error { .invalidInput("invalid endpoint URL \"\(url)\": \(reason)") }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https"
        else {
            throw fail("it must start with http:// or https://")
        }
        guard let host = components.host, !host.isEmpty else { throw fail("it has no host") }
        if components.user != nil || components.password != nil { throw fail("it must not hold user info") }
        if components.query != nil || components.fragment != nil { throw fail("it must not have a query or fragment") }
        if !components.path.isEmpty && components.path != "/" { throw fail("it must not have a path") }
        if let port = components.port, !(1...65535).contains(port) { throw fail("the port is out of range") }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = components.port.flatMap { $0 == defaultPort ? nil : $0 }
        return S3Endpoint(scheme: scheme, host: host, port: port, isAWS: false, forcePathStyle: forcePathStyle)
    }

    public init(scheme: String, host: String, port: Int?, isAWS: Bool, forcePathStyle: Bool) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.isAWS = isAWS
        self.forcePathStyle = forcePathStyle
    }

    /// Whether requests travel in clear text (so payloads are signed by hash rather than `UNSIGNED-PAYLOAD`).
    public var isPlainHTTP: Bool { scheme == "http" }

    /// This endpoint moved to `region` (only AWS endpoints change host).
    public func with(region: String) -> S3Endpoint {
        isAWS ? .aws(region: region, forcePathStyle: forcePathStyle) : self
    }

    /// Whether `bucket` goes into the host name.
    public func usesVirtualHost(for bucket: String) -> Bool {
        if forcePathStyle { return false }
        // Dots break TLS wildcard certificates; such names go in the path.
        if scheme == "https" && bucket.contains(".") { return false }
        return true
    }

    /// The host (with port) a request for `bucket` goes to.
    public func authority(for bucket: String?) -> String {
        var authority = host
        if let bucket, !bucket.isEmpty, usesVirtualHost(for: bucket) { authority = bucket + "." + host }
        if let port { authority += ":\(port)" }
        return authority
    }

    /// `key` encoded once for a URL path, `/` kept. With `protectDotSegments`, segments that are exactly `.` or
    /// `..` have their dots percent-encoded (`%2E`), since HTTP clients (libcurl without `CURLOPT_PATH_AS_IS`)
    /// would otherwise collapse them and address a different key; S3 decodes them back. Signatures are computed
    /// over the unprotected form (see ``signingURL(bucket:key:query:)``).
    static func encodeKey(_ key: String, protectDotSegments: Bool = true) -> String {
        guard protectDotSegments else { return AWSURIEncoding.encode(key, keepSlash: true) }
        return key.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            switch segment {
            case ".": "%2E"
            case "..": "%2E%2E"
            default: AWSURIEncoding.encode(String(segment), keepSlash: false)
            }
        }.joined(separator: "/")
    }

    /// Whether `key` has a `.` or `..` segment, so that its wire URL and its signing URL differ.
    static func hasDotSegments(_ key: String?) -> Bool {
        guard let key else { return false }
        return key.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == "." || $0 == ".." }
    }

    /// The URL a signature is computed over: as ``url(bucket:key:query:)`` but with dot segments left literal,
    /// as S3 canonicalises them.
    public func signingURL(bucket: String?, key: String? = nil, query: [(String, String?)] = []) -> String {
        url(bucket: bucket, key: key, query: query, protectDotSegments: false)
    }

    /// The full URL of `bucket`/`key` with `query` (names and values unencoded; encoded here once).
    ///
    /// The key is encoded once, keeping `/`; query items keep their order and are encoded with `/` encoded.
    public func url(bucket: String?, key: String? = nil, query: [(String, String?)] = []) -> String {
        url(bucket: bucket, key: key, query: query, protectDotSegments: true)
    }

    func url(bucket: String?, key: String?, query: [(String, String?)], protectDotSegments: Bool) -> String {
        var path = "/"
        if let bucket, !bucket.isEmpty, !usesVirtualHost(for: bucket) {
            path += AWSURIEncoding.encode(bucket, keepSlash: false)
            if key != nil { path += "/" }
        }
        if let key { path += Self.encodeKey(key, protectDotSegments: protectDotSegments) }
        var url = scheme + "://" + authority(for: bucket) + path
        if !query.isEmpty {
            url += "?"
            url += query.map { name, value in
                let encodedName = AWSURIEncoding.encode(name, keepSlash: false)
                guard let value else { return encodedName }
                return encodedName + "=" + AWSURIEncoding.encode(value, keepSlash: false)
            }.joined(separator: "&")
        }
        return url
    }
}
