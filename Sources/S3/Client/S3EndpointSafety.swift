import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The endpoint rules every ``S3Client`` applies before its first request.
///
/// - A plain-`http` endpoint is refused unless its host is loopback (`127.0.0.0/8`, `::1`, `localhost`) or
///   ``S3ClientConfiguration/allowInsecureEndpoint`` is set: requests, and the data in them, would cross the
///   network in clear text.
/// - An endpoint that is, or resolves to, a link-local or instance-metadata address is always refused:
///   `169.254.0.0/16`, `fe80::/10`, `fd00:ec2::/32` (EC2's IPv6 metadata, DNS and NTP), and those addresses
///   written as IPv4-mapped (`::ffff:169.254.x.x`), IPv4-compatible (`::169.254.x.x`) or NAT64
///   (`64:ff9b::169.254.x.x`) IPv6, or as the integer, hex or octal IPv4 forms `inet_aton` accepts.
///
/// ``check(_:allowInsecure:)`` needs no network (it parses numeric hosts only); ``checkResolved(_:allowInsecure:)``
/// resolves the host with `getaddrinfo` and checks every address. A name that does not resolve passes: the request
/// fails on its own. AWS's own endpoints (``S3Endpoint/isAWS``) are https with a host built from the region and
/// are not resolved here.
public enum S3EndpointSafety {
    /// Why an endpoint was refused; the raw value is the error's name in messages.
    public enum Refusal: String, Sendable, Equatable {
        /// Plain http to a host that is not loopback, without `s3-allow-insecure-endpoint`.
        case insecureEndpoint = "insecure-endpoint"
        /// A link-local or instance-metadata address.
        case linkLocalEndpoint = "link-local-endpoint"
    }

    /// The refusal for `endpoint` judged from its text alone (numeric hosts, `localhost`), or `nil`.
    public static func refusal(_ endpoint: S3Endpoint, allowInsecure: Bool) -> (Refusal, String)? {
        let host = bareHost(endpoint.host)
        let numeric = addresses(of: host, numericOnly: true)
        if let bad = numeric.first(where: isLinkLocalOrMetadata) {
            return (.linkLocalEndpoint, linkLocalMessage(endpoint, address: bad))
        }
        guard endpoint.isPlainHTTP, !allowInsecure else { return nil }
        let loopback = numeric.isEmpty ? isLocalhostName(host) : numeric.allSatisfy(isLoopback)
        return loopback ? nil : (.insecureEndpoint, insecureMessage(endpoint, address: nil))
    }

    /// Throws an ``S3Error/Code/invalidInput`` error named by its ``Refusal`` when ``refusal(_:allowInsecure:)``
    /// finds one.
    public static func check(_ endpoint: S3Endpoint, allowInsecure: Bool) throws(S3Error) {
        if let (_, message) = refusal(endpoint, allowInsecure: allowInsecure) { throw .invalidInput(message) }
    }

    /// ``check(_:allowInsecure:)``, then the same rules over every address the host resolves to.
    public static func checkResolved(_ endpoint: S3Endpoint, allowInsecure: Bool) throws(S3Error) {
        try check(endpoint, allowInsecure: allowInsecure)
        if endpoint.isAWS { return }
        let resolved = addresses(of: bareHost(endpoint.host), numericOnly: false)
        if let bad = resolved.first(where: isLinkLocalOrMetadata) {
            throw .invalidInput(linkLocalMessage(endpoint, address: bad))
        }
        if endpoint.isPlainHTTP, !allowInsecure, let outside = resolved.first(where: { !isLoopback($0) }) {
            throw .invalidInput(insecureMessage(endpoint, address: outside))
        }
    }

    /// The check every S3 request makes once connected (``HTTPRequest/connectionCheck``): the peer the name
    /// resolved to when libcurl connected must not be link-local or a metadata address either, so that a DNS answer
    /// changed after ``checkResolved(_:allowInsecure:)`` (rebinding) is still refused before anything is sent.
    public static let connectionCheck: @Sendable (String) -> String? = { peer in
        guard let address = addresses(of: peer, numericOnly: true).first, isLinkLocalOrMetadata(address) else {
            return nil
        }
        return "\(Refusal.linkLocalEndpoint.rawValue): the connection went to \(text(address)), a link-local or "
            + "instance-metadata address; refused before sending the request"
    }

    /// Whether `address` (4 or 16 bytes) is link-local or an instance-metadata address, directly or embedded in
    /// IPv6.
    public static func isLinkLocalOrMetadata(_ address: [UInt8]) -> Bool {
        if address.count == 4 { return address[0] == 169 && address[1] == 254 }
        guard address.count == 16 else { return false }
        if let embedded = embeddedIPv4(address) { return isLinkLocalOrMetadata(embedded) }
        if address[0] == 0xfe && address[1] & 0xc0 == 0x80 { return true }  // fe80::/10
        return address[0...3] == [0xfd, 0x00, 0x0e, 0xc2]  // fd00:ec2::/32
    }

    /// Whether `address` (4 or 16 bytes) is loopback: `127.0.0.0/8`, `::1`, or `127.x` embedded in IPv6.
    public static func isLoopback(_ address: [UInt8]) -> Bool {
        if address.count == 4 { return address[0] == 127 }
        guard address.count == 16 else { return false }
        if address == [UInt8](repeating: 0, count: 15) + [1] { return true }
        return embeddedIPv4(address).map(isLoopback) ?? false
    }

    /// The IPv4 address inside an IPv4-mapped, IPv4-compatible or NAT64 IPv6 address.
    static func embeddedIPv4(_ address: [UInt8]) -> [UInt8]? {
        let head = Array(address[0..<12])
        let tail = Array(address[12..<16])
        if head == [UInt8](repeating: 0, count: 10) + [0xff, 0xff] { return tail }  // ::ffff:a.b.c.d
        if head == [UInt8](repeating: 0, count: 12), tail[0] != 0 { return tail }  // ::a.b.c.d (not ::, ::1)
        if head == [0x00, 0x64, 0xff, 0x9b] + [UInt8](repeating: 0, count: 8) { return tail }  // 64:ff9b::/96
        return nil
    }

    /// `host` without IPv6 brackets and with a percent-encoded zone id decoded.
    static func bareHost(_ host: String) -> String {
        var host = host
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.removingPercentEncoding ?? host
    }

    static func isLocalhostName(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return name == "localhost" || name.hasSuffix(".localhost")
    }

    /// The addresses `host` stands for: parsed only (`AI_NUMERICHOST`, no network) or resolved.
    static func addresses(of host: String, numericOnly: Bool) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        if numericOnly { hints.ai_flags = AI_NUMERICHOST }
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var result: [[UInt8]] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if let sockaddr = current.pointee.ai_addr {
                switch current.pointee.ai_family {
                case AF_INET:
                    let address = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    result.append(withUnsafeBytes(of: address) { Array($0) })
                case AF_INET6:
                    let address = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                        $0.pointee.sin6_addr
                    }
                    result.append(withUnsafeBytes(of: address) { Array($0) })
                default: break
                }
            }
            node = current.pointee.ai_next
        }
        return result
    }

    static func text(_ address: [UInt8]) -> String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var bytes = address
        guard inet_ntop(AF_INET6, &bytes, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func origin(_ endpoint: S3Endpoint) -> String {
        let host = endpoint.host.contains(":") && !endpoint.host.hasPrefix("[") ? "[\(endpoint.host)]" : endpoint.host
        return "\(endpoint.scheme)://\(host)" + (endpoint.port.map { ":\($0)" } ?? "")
    }

    static func linkLocalMessage(_ endpoint: S3Endpoint, address: [UInt8]) -> String {
        "\(Refusal.linkLocalEndpoint.rawValue): the S3 endpoint \(origin(endpoint)) is or resolves to "
            + "\(text(address)), a link-local or instance-metadata address; refused before any request"
    }

    static func insecureMessage(_ endpoint: S3Endpoint, address: [UInt8]?) -> String {
        "\(Refusal.insecureEndpoint.rawValue): the S3 endpoint \(origin(endpoint)) is plain http to a host that is "
            + "not loopback\(address.map { " (it resolves to \(text($0)))" } ?? ""); use https, or set "
            + "s3-allow-insecure-endpoint: true (--allow-insecure-endpoint) to send requests in clear text"
    }
}
