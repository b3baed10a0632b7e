import Foundation
import HTTPTransport
import Hashing
import Testing

@testable import S3

/// 200 deterministic random requests, signed by ``SigV4Signer`` and by botocore's `S3SigV4Auth` /
/// `S3SigV4QueryAuth` (one Python process), must give identical `Authorization` headers and presigned URLs.
@Suite struct SigningBotocoreOracleTests {
    struct Case: Codable {
        var method: String
        var url: String
        var headers: [[String]]
        var body: String
        var signPayload: Bool
        var accessKeyID: String
        var secretAccessKey: String
        var sessionToken: String?
        var region: String
        var epoch: Int
        var expires: Int
    }

    struct Signed: Codable, Equatable {
        var authorization: String
        var presigned: String
    }

    /// SplitMix64: small, fast and the same on every platform.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    static let keyAtoms: [String] = [
        "a", "b", "Z", "0", "9", " ", "  ", "+", "%", "%20", "=", "&", "*", "~", ";", "(", ")", "/", "//", "!", "$",
        "'", ",", ":", "@", "?", "#", "[", "]", "-", "_", ".", "..", "é", "ü", "日本", "€", "𝄞", "😀", "Ω", "\u{301}",
        "data", "file.txt", "dir/", "../", "./", "^", "`", "{", "}", "|", "\\", "\"", "<", ">",
    ]
    static let valueAtoms: [String] = [
        "x", "Y", "1", " ", "+", "%", "=", "&", "/", "~", "*", ";", "é", "日", "😀", "a b", "-", "_", ".", "?", "#",
    ]
    static let queryNames = [
        "prefix", "max-keys", "list-type", "continuation-token", "delimiter", "uploadId", "partNumber",
        "start-after", "x-id", "versionId", "encoding-type", "response-content-type", "weird name", "a+b", "é",
    ]
    static let flagNames = ["uploads", "tagging", "acl", "versioning", "lifecycle", "delete"]
    static let endpoints = [
        "https://examplebucket.s3.amazonaws.com", "https://s3.eu-west-1.amazonaws.com/bucket",
        "http://127.0.0.1:4566/bucket", "https://s3.Example.COM:8443/b", "http://localhost:80/b",
        "https://bucket.s3.us-west-2.amazonaws.com:443", "http://[::1]:9000/b",
    ]

    static func randomText(_ random: inout Random, atoms: [String], maxAtoms: Int) -> String {
        (0..<(1 + random.below(maxAtoms))).map { _ in random.pick(atoms) }.joined()
    }

    static func makeCases() -> [Case] {
        var random = Random(state: 0x5EED_0F_516E)
        var cases: [Case] = []
        for index in 0..<200 {
            let endpoint = random.pick(endpoints)
            let key = randomText(&random, atoms: keyAtoms, maxAtoms: 8)
            var url = endpoint + "/" + AWSURIEncoding.encode(key, keepSlash: true)
            var used = Set<String>()
            var query: [String] = []
            for _ in 0..<random.below(4) {
                if random.chance(25) {
                    let flag = random.pick(flagNames)
                    if used.insert(flag).inserted { query.append(flag) }
                } else {
                    let name =
                        random.chance(70)
                        ? random.pick(queryNames) : randomText(&random, atoms: valueAtoms, maxAtoms: 3)
                    guard used.insert(name).inserted else { continue }
                    let value = random.chance(10) ? "" : randomText(&random, atoms: valueAtoms, maxAtoms: 6)
                    query.append(
                        AWSURIEncoding.encode(name, keepSlash: false) + "="
                            + AWSURIEncoding.encode(value, keepSlash: false))
                }
            }
            if !query.isEmpty { url += "?" + query.joined(separator: "&") }
            var headers: [[String]] = []
            if random.chance(40) { headers.append([random.pick(["Content-Type", "content-type"]), "text/plain"]) }
            if random.chance(30) { headers.append(["Range", "bytes=\(random.below(100))-\(100 + random.below(100))"]) }
            if random.chance(30) { headers.append(["Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="]) }
            if random.chance(50) {
                headers.append(["X-Amz-Meta-Note\(index % 3)", "  spaced   value\twith  tabs  "])
            }
            if random.chance(20) { headers.append(["x-amz-storage-class", "STANDARD_IA"]) }
            if random.chance(20) { headers.append(["If-None-Match", "*"]) }
            if random.chance(30) { headers.append(["User-Agent", "storage-cache/1.0"]) }
            if random.chance(20) { headers.append(["Expect", "100-continue"]) }
            let https = endpoint.hasPrefix("https")
            let body = random.chance(50) ? randomText(&random, atoms: valueAtoms, maxAtoms: 20) : ""
            cases.append(
                Case(
                    method: random.pick(["GET", "PUT", "HEAD", "DELETE", "POST"]), url: url, headers: headers,
                    body: body, signPayload: !https || random.chance(50),
                    accessKeyID: "AKIA\(String(random.next() % 1_000_000_000_000, radix: 36).uppercased())",
                    secretAccessKey: "secret/\(random.next())+\(random.next())=",
                    sessionToken: random.chance(40) ? "token/\(random.next())+abc==" : nil,
                    region: random.pick(["us-east-1", "eu-west-1", "ap-southeast-2"]),
                    epoch: 946_684_800 + random.below(3_155_760_000), expires: 1 + random.below(604_800)))
        }
        return cases
    }

    static func swiftSigned(_ c: Case) -> Signed {
        let signer = SigV4Signer(region: c.region)
        let credentials = AWSCredentials(
            accessKeyID: c.accessKeyID, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken)
        let date = Date(timeIntervalSince1970: TimeInterval(c.epoch))
        var headers = HTTPHeaders(c.headers.map { ($0[0], $0[1]) })
        let payload = c.signPayload ? Digest.sha256Hex(Array(c.body.utf8)) : SigV4Signer.unsignedPayload
        signer.sign(
            method: c.method, url: c.url, headers: &headers, payloadHash: payload, credentials: credentials,
            date: date)
        let presigned = signer.presign(
            method: c.method, url: c.url, expires: c.expires, credentials: credentials, date: date)
        return Signed(authorization: headers["Authorization"] ?? "", presigned: presigned)
    }

    @Test func randomRequestsSignLikeBotocore() throws {
        let cases = Self.makeCases()
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("storage-cache-sigv4-cases-\(ProcessInfo.processInfo.processIdentifier).json")
        try JSONEncoder().encode(cases).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try SigningPython.run(script: "botocore_sign.py", arguments: [file.path])
        let expected = try JSONDecoder().decode([Signed].self, from: output)
        try #require(expected.count == cases.count)
        var mismatches = 0
        for (index, c) in cases.enumerated() {
            let actual = Self.swiftSigned(c)
            if actual != expected[index] {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("case \(index) \(c.method) \(c.url): swift \(actual) botocore \(expected[index])")
                }
            }
        }
        #expect(mismatches == 0)
    }
}
