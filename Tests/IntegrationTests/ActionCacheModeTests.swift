import Foundation
import Testing

/// `cache-mode` (primary and S3) and `ACTIONS_CACHE_MODE` (the GitHub Actions cache only) through the action's
/// launcher, with the fake cache service and LocalStack behind the pass-through proxy (`fault_proxy.py`, no
/// faults): both record every request, so each test says which requests were made and which were not.
@Suite(.enabled(if: S3TestEnvironment.shouldRun && ActionRunner.canRun), .serialized)
struct ActionCacheModeTests {
    typealias CLI = CoordinatorCLI
    static let storage = "/home/.local/share/opencode"

    /// One job's world: the fake service, the proxy in front of LocalStack, a bucket and a runner using them.
    struct World {
        var dir: String
        var service: ActionsCacheService
        var proxy: S3FaultProxy
        var bucket: String
        var runner: ActionRunner

        /// A runner with more `with:` inputs (or environment).
        func runner(with: [String: String] = [:], environment: [String: String] = [:]) -> ActionRunner {
            var runner = self.runner
            for (name, value) in with { runner.environment["INPUT_" + name.uppercased()] = value }
            runner.environment.merge(environment) { $1 }
            return runner
        }

        /// Requests made during `body`: the fake's stats and the proxy's methods, as deltas.
        func requests(_ body: () throws -> Void) async throws -> (service: [String: Int], s3: [String: Int]) {
            let before = try await service.stats().counts
            try await proxy.resetCounters()
            try body()
            let after = try await service.stats().counts
            let service = after.reduce(into: [String: Int]()) { result, pair in
                let delta = pair.value - (before[pair.key] ?? 0)
                if delta != 0 { result[pair.key] = delta }
            }
            return (service, try await proxy.stats().methods)
        }

        var pendingFile: String { dir + "/state/s3_failures.json" }

        /// Saves the tree with `runner` (default: read-write, so both stores hold it afterwards).
        func seed(_ runner: ActionRunner? = nil) throws {
            try SyncCLITests.makeTree(dir + ActionCacheModeTests.storage)
            let saved = try (runner ?? self.runner).post(state: [:])
            #expect(saved.status == 0, "\(saved.stdout)\n\(saved.stderr)")
        }
    }

    static func withWorld(_ label: String, _ body: (World) async throws -> Void) async throws {
        let client = try S3TestEnvironment.makeClient()
        try await S3TestEnvironment.withBucket(label, client: client) { bucket in
            try await S3TestEnvironment.withTemporaryDirectory { dir in
                try await ActionsCacheService.with { service in
                    let proxy = try S3FaultProxy.start(seed: 1, faultRate: 0)
                    defer { proxy.stop() }
                    var inputs = CLI.s3Inputs(bucket: bucket, endpoint: proxy.endpoint).reduce(
                        into: [String: String]()
                    ) { result, pair in
                        result[String(pair.key.dropFirst("INPUT_".count)).lowercased()] = pair.value
                    }
                    inputs["state-dir"] = dir + "/state"
                    var runner = try ActionRunner(directory: dir, with: inputs)
                    runner.environment["ACTIONS_RESULTS_URL"] = service.resultsURL
                    try await body(World(dir: dir, service: service, proxy: proxy, bucket: bucket, runner: runner))
                }
            }
        }
    }

    static func writes(_ methods: [String: Int]) -> Int {
        ["PUT", "POST", "DELETE"].reduce(0) { $0 + (methods[$1] ?? 0) }
    }

    @Test func readRestoresButNeverWritesAnything() async throws {
        try await Self.withWorld("mode-read") { world in
            try world.seed()
            let client = try S3TestEnvironment.makeClient()
            let keysBefore = try await SyncCLITests.keys(client, world.bucket)
            let runner = world.runner(with: ["cache-mode": "read"])

            var main: ActionRunner.Step?
            let restore = try await world.requests { main = try runner.main() }
            #expect(main?.status == 0, "\(main?.stdout ?? "")")
            #expect(main?.outputs["cache-source"] == "primary")
            #expect(restore.service["GetCacheEntryDownloadURL"] == 1)
            #expect(restore.service["blob-get", default: 0] > 0)
            // restore-order newest (the default): a primary hit asks S3 for the manifest head only.
            #expect(restore.s3 == ["HEAD": 1], "a primary hit reads only S3's manifest head: \(restore.s3)")

            // The agent changes the tree; the save writes nothing anywhere.
            try Data("new".utf8).write(to: URL(fileURLWithPath: world.dir + Self.storage + "/new.txt"))
            var post: ActionRunner.Step?
            let save = try await world.requests { post = try runner.post(state: main?.state ?? [:]) }
            #expect(post?.status == 0, "\(post?.stdout ?? "")")
            #expect(post?.stdout.contains("save skipped: cache-mode is read") == true, "\(post?.stdout ?? "")")
            #expect(save.service.isEmpty, "no Actions cache request: \(save.service)")
            #expect(save.s3.isEmpty, "no S3 request: \(save.s3)")
            #expect(try await SyncCLITests.keys(client, world.bucket) == keysBefore)
            #expect(!FileManager.default.fileExists(atPath: world.pendingFile))
            #expect(try await world.service.stats().count("CreateCacheEntry") == 1, "only the seed's entry")
        }
    }

    @Test func readRestoringFromS3DoesNotWarmThePrimary() async throws {
        try await Self.withWorld("mode-read-s3") { world in
            try world.seed()
            try FileManager.default.removeItem(atPath: world.dir + Self.storage)
            try await ActionsCacheService.with { empty in
                var runner = world.runner(with: ["cache-mode": "read"])
                runner.environment["ACTIONS_RESULTS_URL"] = empty.resultsURL
                try await world.proxy.resetCounters()
                let main = try runner.main()
                #expect(main.status == 0, "\(main.stdout)")
                #expect(main.outputs["cache-source"] == "s3")
                #expect(main.outputs["restored-files"] == "6")
                let stats = try await empty.stats()
                #expect(stats.calls.map(\.method) == ["GetCacheEntryDownloadURL"], "no warming")
                #expect(stats.entries.isEmpty)
                let s3 = try await world.proxy.stats().methods
                #expect(s3["GET", default: 0] > 0)
                #expect(Self.writes(s3) == 0, "read: no S3 write: \(s3)")
            }
        }
    }

    @Test func writeOnlyNeverRestoresButSaves() async throws {
        try await Self.withWorld("mode-wo") { world in
            try world.seed()
            try FileManager.default.removeItem(atPath: world.dir + Self.storage)
            let runner = world.runner(with: ["cache-mode": "write-only", "key": "write-only-2"])
            var main: ActionRunner.Step?
            let restore = try await world.requests { main = try runner.main() }
            #expect(main?.status == 0, "\(main?.stdout ?? "")")
            #expect(main?.outputs["cache-source"] == "none")
            #expect(main?.stdout.contains("restore skipped: cache-mode is write-only") == true)
            #expect(main?.summary.contains("| Primary (github-actions) | skipped |") == true, "\(main?.summary ?? "")")
            #expect(main?.summary.contains("| S3 | skipped |") == true)
            #expect(restore.service.isEmpty, "no Actions cache request: \(restore.service)")
            #expect(restore.s3.isEmpty, "no S3 request: \(restore.s3)")
            let left = try FileManager.default.contentsOfDirectory(atPath: world.dir + Self.storage)
            #expect(left.isEmpty, "write-only leaves the directory as a miss does: \(left)")

            try SyncCLITests.makeTree(world.dir + Self.storage)
            try Data("wo".utf8).write(to: URL(fileURLWithPath: world.dir + Self.storage + "/wo.txt"))
            var post: ActionRunner.Step?
            let save = try await world.requests { post = try runner.post(state: main?.state ?? [:]) }
            #expect(post?.status == 0, "\(post?.stdout ?? "")")
            #expect(save.service["CreateCacheEntry"] == 1)
            #expect(save.service["FinalizeCacheEntryUpload"] == 1)
            #expect(save.s3["PUT", default: 0] > 0, "S3 written: \(save.s3)")
            let keys = try await SyncCLITests.keys(try S3TestEnvironment.makeClient(), world.bucket)
            #expect(keys.contains("opencode-storage/github/owner-repo/storage/wo.txt"))
        }
    }

    @Test func offMakesNoRequestAndTouchesNothing() async throws {
        try await Self.withWorld("mode-off") { world in
            try world.seed()
            try FileManager.default.removeItem(atPath: world.dir + Self.storage)
            let runner = world.runner(with: ["cache-mode": "off"])
            var main: ActionRunner.Step?
            let restore = try await world.requests { main = try runner.main() }
            #expect(main?.status == 0, "\(main?.stdout ?? "")")
            #expect(main?.outputs["cache-source"] == "none")
            #expect(!FileManager.default.fileExists(atPath: world.dir + Self.storage), "off creates nothing")
            try SyncCLITests.makeTree(world.dir + Self.storage)
            var post: ActionRunner.Step?
            let save = try await world.requests { post = try runner.post(state: main?.state ?? [:]) }
            #expect(post?.status == 0, "\(post?.stdout ?? "")")
            #expect(post?.stdout.contains("save skipped: cache-mode is off") == true)
            #expect(
                post?.summary.contains("> [!NOTE]\n> save skipped: cache-mode is off") == true, "\(post?.summary ?? "")"
            )
            #expect(restore.service.isEmpty && save.service.isEmpty, "\(restore.service) \(save.service)")
            #expect(restore.s3.isEmpty && save.s3.isEmpty, "\(restore.s3) \(save.s3)")
            #expect(!FileManager.default.fileExists(atPath: world.pendingFile))
        }
    }

    @Test func anInvalidCacheModeIsExit2NamingTheInput() async throws {
        try await Self.withWorld("mode-bad") { world in
            let runner = world.runner(with: ["cache-mode": "readonly"])
            var main: ActionRunner.Step?
            var post: ActionRunner.Step?
            let requests = try await world.requests {
                main = try runner.main()
                try SyncCLITests.makeTree(world.dir + Self.storage)
                post = try runner.post(state: [:])
            }
            for step in [main, post] {
                #expect(step?.status == 2)
                #expect(step?.stdout.contains("::error::invalid input cache-mode") == true, "\(step?.stdout ?? "")")
            }
            #expect(requests.service.isEmpty && requests.s3.isEmpty)
        }
    }

    @Test func actionsCacheModeReadKeepsTheActionsCacheButS3IsWritten() async throws {
        try await Self.withWorld("acm-read") { world in
            let runner = world.runner(environment: ["ACTIONS_CACHE_MODE": "read"])
            try SyncCLITests.makeTree(world.dir + Self.storage)
            var post: ActionRunner.Step?
            let save = try await world.requests { post = try runner.post(state: [:]) }
            #expect(post?.status == 0, "\(post?.stdout ?? "")")
            #expect(post?.stdout.contains("GitHub Actions cache save skipped: ACTIONS_CACHE_MODE is read") == true)
            #expect(save.service.isEmpty, "no Actions cache request: \(save.service)")
            #expect(save.s3["PUT", default: 0] > 0, "cache-mode read-write still writes S3: \(save.s3)")
        }
    }

    @Test func actionsCacheModeWriteOnlyNeverReadsTheActionsCacheButWarmsIt() async throws {
        try await Self.withWorld("acm-wo") { world in
            try world.seed()
            try FileManager.default.removeItem(atPath: world.dir + Self.storage)
            try await ActionsCacheService.with { empty in
                var runner = world.runner(environment: ["ACTIONS_CACHE_MODE": "write-only"])
                runner.environment["ACTIONS_RESULTS_URL"] = empty.resultsURL
                let main = try runner.main()
                #expect(main.status == 0, "\(main.stdout)")
                #expect(main.outputs["cache-source"] == "s3")
                #expect(main.stdout.contains("GitHub Actions cache restore skipped: ACTIONS_CACHE_MODE is write-only"))
                let stats = try await empty.stats()
                // No lookup, no download: only the warming reservation and upload.
                #expect(stats.calls.map(\.method) == ["CreateCacheEntry", "FinalizeCacheEntryUpload"])
                #expect(stats.count("blob-get") == 0)
                #expect(stats.count("put-blob") == 1)
            }
        }
    }

    @Test func actionsCacheModeNoneLeavesTheActionsCacheAlone() async throws {
        try await Self.withWorld("acm-none") { world in
            let runner = world.runner(environment: ["ACTIONS_CACHE_MODE": "none"])
            try world.seed(runner)  // seeds S3 only: the Actions cache may not be written either
            try FileManager.default.removeItem(atPath: world.dir + Self.storage)
            var main: ActionRunner.Step?
            let restore = try await world.requests { main = try runner.main() }
            #expect(main?.outputs["cache-source"] == "s3", "\(main?.stdout ?? "")")
            #expect(try await world.service.stats().total == 0, "none: no Actions cache request at all")
            #expect(restore.s3["GET", default: 0] > 0)
            #expect(Self.writes(restore.s3) == 0)
        }
    }
}
