import Foundation
import Testing

/// The action as the runner runs it: `node dist/main.js`, then `node dist/post.js` with the `STATE_*` the main step
/// left, `INPUT_*` for every input of action.yml (its defaults, then `with:` values), and the runner's files.
@Suite(.enabled(if: S3TestEnvironment.shouldRun && ActionRunner.canRun), .serialized)
struct ActionLauncherTests {
    typealias CLI = CoordinatorCLI

    @Test func mainRestoresAndPostSavesWithOutputsStateAndSummary() async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket("action", client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                let with = CLI.s3Inputs(bucket: bucket).reduce(into: [String: String]()) { result, pair in
                    result[String(pair.key.dropFirst("INPUT_".count)).lowercased()] = pair.value
                }
                var runner = try ActionRunner(directory: dir, with: with)
                runner.environment["INPUT_CACHE-DIR"] = dir + "/cache-host1"

                // First job: nothing anywhere.
                let first = try runner.main()
                #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
                #expect(first.outputs["cache-source"] == "none")
                #expect(first.outputs["cache-hit"] == "false")
                #expect(first.outputs["restored-files"] == "0")
                #expect(first.state["key"] == "opencode-storage-github-owner-repo-Linux")
                #expect(first.stdout.contains("::group::Restore"))

                // The agent writes its storage; the post step saves it to both.
                try SyncCLITests.makeTree(dir + "/home/.local/share/opencode")
                let post = try runner.post(state: first.state)
                #expect(post.status == 0, "\(post.stdout)\n\(post.stderr)")
                #expect(post.summary.contains("### storage-cache save"))
                let keys = try await SyncCLITests.keys(client, bucket)
                #expect(keys.contains("opencode-storage/github/owner-repo/manifest.json"))

                // Second job on a fresh host: S3 restores, outputs say so.
                var second = runner
                second.environment["INPUT_CACHE-DIR"] = dir + "/cache-host2"
                try FileManager.default.removeItem(atPath: dir + "/home/.local/share/opencode")
                let restored = try second.main()
                #expect(restored.status == 0, "\(restored.stdout)\n\(restored.stderr)")
                #expect(restored.outputs["cache-source"] == "s3")
                #expect(restored.outputs["cache-hit"] == "true")
                #expect(restored.outputs["restored-files"] == "6")
                #expect(restored.outputs["cache-matched-key"]?.hasPrefix("s3://\(bucket)/") == true)
                #expect(restored.summary.contains("| Source | s3 |"))

                // Third job on the same host: the warmed primary answers.
                let third = try second.main()
                #expect(third.outputs["cache-source"] == "primary")
                #expect(third.outputs["cache-matched-key"] == "opencode-storage-github-owner-repo-Linux")
                #expect(Int(third.outputs["restored-bytes"] ?? "") ?? 0 > 0)
            }
        }
    }

    @Test func anUnreachableS3IsAWarningAnnotationNotAFailedStep() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            var runner = try ActionRunner(
                directory: dir,
                with: [
                    "s3-backup": "true", "s3-bucket": "dead-bucket", "s3-endpoint": "http://127.0.0.1:1",
                    "key": "job-key", "cache-dir": dir + "/cache",
                ])
            runner.environment["INPUT_STATE-DIR"] = dir + "/state"
            let main = try runner.main()
            #expect(main.status == 0, "\(main.stdout)\n\(main.stderr)")
            #expect(main.stdout.contains("::warning::S3 restore from s3://dead-bucket/"))
            try SyncCLITests.makeTree(dir + "/home/.local/share/opencode")
            let post = try runner.post(state: main.state)
            #expect(post.status == 0, "\(post.stdout)\n\(post.stderr)")
            #expect(post.stdout.contains("::warning::S3 write-through"))
            #expect(FileManager.default.fileExists(atPath: dir + "/state/s3_failures.json"))
        }
    }

    @Test func invalidInputsFailTheStepWithExit2AndAnErrorAnnotation() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            let runner = try ActionRunner(
                directory: dir, with: ["s3-backup": "true", "s3-prefix": "../up", "s3-bucket": "valid-bucket"])
            let main = try runner.main()
            #expect(main.status == 2)
            #expect(main.stdout.contains("::error::invalid input s3-prefix"))
            var noBucket = runner
            noBucket.environment["INPUT_S3-PREFIX"] = "opencode-storage"
            noBucket.environment["INPUT_S3-BUCKET"] = ""
            let post = try noBucket.post(state: [:])
            #expect(post.status == 2)
            #expect(post.stdout.contains("::error::invalid input s3-bucket"))
        }
    }

    @Test func theLauncherFindsTheBinaryOnPathOrBuildsIt() async throws {
        try await S3TestEnvironment.withTemporaryDirectory { dir in
            var runner = try ActionRunner(directory: dir, with: ["key": "k", "cache-dir": dir + "/cache"])
            runner.environment.removeValue(forKey: "STORAGE_CACHE_BINARY")
            // On PATH.
            try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: dir + "/bin/storage-cache", withDestinationPath: S3TestEnvironment.binary)
            var onPath = runner
            onPath.environment["PATH"] = dir + "/bin:" + (runner.environment["PATH"] ?? "")
            let found = try onPath.main()
            #expect(found.status == 0, "\(found.stdout)\n\(found.stderr)")
            #expect(found.outputs["cache-source"] == "none")

            // Not on PATH: a `swift` that "builds" by linking the real binary into the scratch path, once.
            let fakeSwift = """
                #!/bin/sh
                echo "swift $*" >> "\(dir)/swift-calls"
                while [ $# -gt 0 ]; do
                  if [ "$1" = "--scratch-path" ]; then mkdir -p "$2/release"; ln -sf "\(S3TestEnvironment.binary)" "$2/release/storage-cache"; fi
                  shift
                done
                """
            try FileManager.default.createDirectory(atPath: dir + "/fakebin", withIntermediateDirectories: true)
            try Data(fakeSwift.utf8).write(to: URL(fileURLWithPath: dir + "/fakebin/swift"))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/fakebin/swift")
            var building = runner
            building.environment["PATH"] = dir + "/fakebin:/usr/bin:/bin"
            building.environment["RUNNER_TOOL_CACHE"] = dir + "/toolcache"
            let built = try building.main()
            #expect(built.status == 0, "\(built.stdout)\n\(built.stderr)")
            try SyncCLITests.makeTree(dir + "/home/.local/share/opencode")
            let post = try building.post(state: built.state)
            #expect(post.status == 0, "\(post.stdout)\n\(post.stderr)")
            let calls = try String(contentsOfFile: dir + "/swift-calls", encoding: .utf8)
            #expect(calls.split(separator: "\n").count == 1, "the build is reused by the post step: \(calls)")
            #expect(calls.contains("build -c release --package-path \(ActionRunner.root)"))
        }
    }
}

/// Plays the GitHub runner for this repository's action.yml.
struct ActionRunner {
    /// The repository (the action's checkout).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let node: String? = ["/usr/bin/node", "/usr/local/bin/node"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Node is here, or this is CI (where a missing node fails rather than skips).
    static let canRun = node != nil || ProcessInfo.processInfo.environment["CI"] == "true"

    struct Step {
        var status: Int32
        var stdout: String
        var stderr: String
        var outputs: [String: String]
        var state: [String: String]
        var summary: String
    }

    var environment: [String: String]
    let directory: String
    private(set) var steps = 0

    /// `with` is the workflow's `with:` map; every other input gets action.yml's default, as the runner does.
    init(directory: String, with: [String: String]) throws {
        self.directory = directory
        var inputs: [String: String] = [:]
        for (name, value) in try Self.inputDefaults(Self.root + "/action.yml") {
            inputs["INPUT_" + name.uppercased()] = value
        }
        for (name, value) in with { inputs["INPUT_" + name.uppercased()] = value }
        try FileManager.default.createDirectory(atPath: directory + "/home", withIntermediateDirectories: true)
        environment = CoordinatorCLI.environment(home: directory + "/home", inputs)
        environment["GITHUB_ACTIONS"] = "true"
        environment["CI"] = "true"
        environment["RUNNER_OS"] = "Linux"
        environment["GITHUB_REPOSITORY"] = "owner/repo"
        environment["RUNNER_TEMP"] = directory + "/runner-temp"
        environment["STORAGE_CACHE_BINARY"] = S3TestEnvironment.binary
        // The runner passes empty inputs as empty variables; keep them.
        for (name, value) in inputs where value.isEmpty { environment[name] = "" }
    }

    /// `inputs:` of an action.yml: name → default (every default is a double-quoted string there).
    static func inputDefaults(_ path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [String: String] = [:]
        var inInputs = false
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") {
                inInputs = line == "inputs:"
                continue
            }
            guard inInputs else { continue }
            if line.hasPrefix("  ") && !line.hasPrefix("   ") && line.hasSuffix(":") {
                current = String(line.dropFirst(2).dropLast())
            } else if let current, line.hasPrefix("    default: \"") && line.hasSuffix("\"") {
                result[current] = String(line.dropFirst("    default: \"".count).dropLast())
            }
        }
        try #require(result.count >= 20, "could not read the inputs of \(path)")
        return result
    }

    func main() throws -> Step { try step("main", extra: [:]) }

    /// The post step: `STATE_<name>` for every value the main step saved.
    func post(state: [String: String]) throws -> Step {
        try step("post", extra: Dictionary(uniqueKeysWithValues: state.map { ("STATE_" + $0.key, $0.value) }))
    }

    private func step(_ name: String, extra: [String: String]) throws -> Step {
        let node = try #require(Self.node, "node is not installed")
        let stepDirectory = directory + "/step-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: stepDirectory, withIntermediateDirectories: true)
        var environment = self.environment.merging(extra) { $1 }
        var files: [String] = []
        for variable in ["GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"] {
            let path = stepDirectory + "/" + variable.lowercased()
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            environment[variable] = path
            files.append(path)
        }
        let output = try ChildProcess.run(node, [Self.root + "/dist/\(name).js"], environment: environment)
        CoordinatorCLI.expectNoSecrets(stdout: output.stdout, stderr: output.stderr, files: files)
        return Step(
            status: output.status, stdout: output.stdout, stderr: output.stderr,
            outputs: try CoordinatorCLI.parseRunnerFile(files[0]), state: try CoordinatorCLI.parseRunnerFile(files[1]),
            summary: (try? String(contentsOfFile: files[2], encoding: .utf8)) ?? "")
    }
}
