import Foundation
import Testing

/// Runs the built binary inside a network namespace with no route (`unshare -n`, or `unshare -rn` where only a user
/// namespace is allowed), so that nothing it tries can leave the machine; optionally with its own `/etc/hosts`
/// (a mount namespace too), to make a name resolve to an address of the test's choosing without DNS.
enum NetworkNamespace {
    static let unshare = ["/usr/bin/unshare", "/bin/unshare"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The `unshare` flags that work here: `-n` (as root) or `-rn`; `nil` when neither does.
    static let networkFlags: [String]? = flags(["-n"], ["-rn"])
    /// The same with a mount namespace (`-mn` / `-rmn`), for a private `/etc/hosts`.
    static let mountFlags: [String]? = flags(["-mn"], ["-rmn"])

    static func flags(_ candidates: [String]...) -> [String]? {
        guard let unshare else { return nil }
        return candidates.first { (try? ChildProcess.run(unshare, $0 + ["true"]).status) == 0 }
    }

    /// Whether probes can run: `unshare` works. Outside CI the probe suites skip without it; under CI they fail.
    static let isAvailable = networkFlags != nil
    static var shouldRun: Bool { isAvailable || S3TestEnvironment.isCI }

    /// Runs `storage-cache arguments` with no network; with `hosts`, `/etc/hosts` reads as that text.
    static func run(_ arguments: [String], environment: [String: String], hosts: String? = nil) throws
        -> ProcessOutput
    {
        let unshare = try #require(unshare, "unshare(1) is missing")
        let binary = S3TestEnvironment.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the binary first: \(binary)")
        guard let hosts else {
            let flags = try #require(networkFlags, "unshare -n does not work here")
            return try ChildProcess.run(unshare, flags + [binary] + arguments, environment: environment)
        }
        let flags = try #require(mountFlags, "unshare -mn does not work here")
        let file = NSTemporaryDirectory() + "hosts-\(UUID().uuidString)"
        try Data(hosts.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        // The shell drops variables whose names are not shell names (`INPUT_S3-BUCKET`): env(1) sets them again.
        let script = "mount --bind \"$0\" /etc/hosts && exec /usr/bin/env -i \"$@\""
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try ChildProcess.run(
            unshare, flags + ["/bin/sh", "-c", script, file] + assignments + [binary] + arguments,
            environment: environment)
    }
}
