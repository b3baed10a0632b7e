import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Running the binary as the action does: inputs in `INPUT_*` variables, distinctive fake secrets that must never
/// leak, and (optionally) the runner's files.
enum CoordinatorCLI {
    static let fakeSecret = "CoOrDsEcReTdOnOtPrInT/3e9b1f0c7a"
    static let fakeToken = "CoOrDsEsSiOnToKeN+5d2a8c4e6f1b"
    static let fakeRuntimeToken = "CoOrDrUnTiMeToKeN.77aa11bb22cc"
    static var secrets: [String] { [fakeSecret, fakeToken, fakeRuntimeToken] }

    /// A minimal environment: fake credentials (LocalStack keys accounts by the access key id only), no instance
    /// metadata, a private HOME, plus `extra`.
    static func environment(home: String, _ extra: [String: String] = [:]) -> [String: String] {
        var environment: [String: String] = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home,
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": fakeSecret, "AWS_SESSION_TOKEN": fakeToken,
            "ACTIONS_RUNTIME_TOKEN": fakeRuntimeToken, "AWS_EC2_METADATA_DISABLED": "true",
            "XDG_CACHE_HOME": home + "/xdg-cache", "XDG_STATE_HOME": home + "/xdg-state",
        ]
        environment.merge(extra) { $1 }
        return environment.filter { !$0.value.isEmpty }
    }

    /// The S3 inputs for `bucket` on LocalStack.
    static func s3Inputs(bucket: String, endpoint: String = S3TestEnvironment.endpointURL) -> [String: String] {
        [
            "INPUT_S3-BACKUP": "true", "INPUT_S3-BUCKET": bucket, "INPUT_S3-ENDPOINT": endpoint,
            "INPUT_S3-PATH-STYLE": "true", "INPUT_REPO": "owner/repo",
        ]
    }

    static func run(_ arguments: [String], environment: [String: String]) throws -> ProcessOutput {
        let binary = S3TestEnvironment.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the binary first: \(binary)")
        let output = try ChildProcess.run(binary, arguments, environment: environment)
        expectNoSecrets(stdout: output.stdout, stderr: output.stderr)
        return output
    }

    /// No secret in stderr; in stdout only inside `::add-mask::` lines (which the runner consumes), and those come
    /// before any other line.
    static func expectNoSecrets(
        stdout: String, stderr: String, files: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for secret in secrets {
            #expect(!stderr.contains(secret), "a secret leaked to stderr: \(stderr)", sourceLocation: sourceLocation)
            for file in files {
                let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
                #expect(!text.contains(secret), "a secret leaked to \(file): \(text)", sourceLocation: sourceLocation)
            }
        }
        var seenOther = false
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("::add-mask::") {
                #expect(!seenOther, "a mask came after other output: \(stdout)", sourceLocation: sourceLocation)
                #expect(
                    secrets.contains(String(line.dropFirst("::add-mask::".count))),
                    "unexpected mask line \(line)", sourceLocation: sourceLocation)
                continue
            }
            if !line.isEmpty { seenOther = true }
            for secret in secrets {
                #expect(!line.contains(secret), "a secret leaked to stdout: \(line)", sourceLocation: sourceLocation)
            }
        }
    }

    /// The last line of stdout that is a JSON object.
    static func json(_ text: String) throws -> [String: Any] {
        let line = try #require(
            text.split(separator: "\n").last(where: { $0.hasPrefix("{") }).map(String.init), "no JSON on stdout")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// Parses a `$GITHUB_OUTPUT` / `$GITHUB_STATE` file (`name<<DELIM` … `DELIM`, or `name=value` lines).
    static func parseRunnerFile(_ path: String) throws -> [String: String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var result: [String: String] = [:]
        var lines = text.components(separatedBy: "\n")[...]
        while let line = lines.popFirst() {
            if line.isEmpty { continue }
            if let range = line.range(of: "<<") {
                let name = String(line[..<range.lowerBound])
                let delimiter = String(line[range.upperBound...])
                var value: [String] = []
                var closed = false
                while let next = lines.popFirst() {
                    if next == delimiter {
                        closed = true
                        break
                    }
                    value.append(next)
                }
                try #require(closed, "unterminated \(name) in \(path): \(text)")
                result[name] = value.joined(separator: "\n")
            } else if let equals = line.firstIndex(of: "=") {
                result[String(line[..<equals])] = String(line[line.index(after: equals)...])
            } else {
                Issue.record("malformed line in \(path): \(line)")
            }
        }
        return result
    }

    /// Flips a byte in the middle of every archive of the local cache in `cache`.
    static func corruptEntries(cache: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: cache + "/entries") {
            let path = cache + "/entries/" + name
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            data[data.count / 2] ^= 0x55
            try data.write(to: URL(fileURLWithPath: path))
        }
    }

    /// The keys of the local cache in `cache`.
    static func cacheKeys(_ cache: String, home: String) throws -> [String] {
        let list = try run(["cache", "list", "--cache-dir", cache, "--json"], environment: environment(home: home))
        let entries = try json(list.stdout)["entries"] as? [[String: Any]] ?? []
        return entries.compactMap { $0["key"] as? String }.sorted()
    }
}

/// A loopback TCP listener that counts connections and closes each at once: an S3 endpoint that must never be
/// contacted.
final class ConnectionCounter: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var count = 0
    private var thread: Thread?

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(bound, "cannot listen on 127.0.0.1")
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [weak self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                self?.increment()
                close(client)
            }
        }
        self.thread = thread
        thread.start()
    }

    private func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    /// Connections accepted so far.
    var connections: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
