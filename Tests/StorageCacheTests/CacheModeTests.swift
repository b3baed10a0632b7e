import Foundation
import Logging
import Testing

@testable import StorageCache

/// `cache-mode`, `ACTIONS_CACHE_MODE` and the choice of the primary store from the job's environment.
@Suite struct CacheModeTests {
    let base = ["HOME": "/home/runner", "GITHUB_REPOSITORY": "octo/app", "RUNNER_OS": "Linux"]
    let runtime = ["ACTIONS_RESULTS_URL": "https://results.example/", "ACTIONS_RUNTIME_TOKEN": "tok-1234"]

    @Test(arguments: [
        ("", true, true), ("write", true, true), ("read", true, false), ("write-only", false, true),
        ("none", false, false), (" Read \n", true, false), ("WRITE-ONLY", false, true),
        // Unknown values are permissive, as @actions/cache 6.2 treats them.
        ("read-only", true, true), ("readwrite", true, true),
    ])
    func actionsCacheModeIsTheLatticeOfActionsCache(_ mode: String, _ read: Bool, _ write: Bool) {
        let access = ActionsCacheAccess(environment: ["ACTIONS_CACHE_MODE": mode])
        #expect(access.allowsRead == read, "\(mode)")
        #expect(access.allowsWrite == write, "\(mode)")
        #expect(ActionsCacheAccess(environment: [:]) == .unrestricted)
        #expect(ActionsCacheAccess.unrestricted.allowsRead && ActionsCacheAccess.unrestricted.allowsWrite)
    }

    @Test func theCacheModeInputParsesAndDefaultsToReadWrite() throws {
        #expect(try CacheSettings.resolve(flags: CacheSettingsFlags(), environment: base).cacheMode == .readWrite)
        for mode in CacheMode.allCases {
            let settings = try CacheSettings.resolve(
                flags: CacheSettingsFlags(), environment: base.merging(["INPUT_CACHE-MODE": mode.rawValue]) { $1 })
            #expect(settings.cacheMode == mode)
        }
        var flags = CacheSettingsFlags()
        flags.cacheMode = "WRITE-ONLY"
        let flagged = try CacheSettings.resolve(
            flags: flags, environment: base.merging(["INPUT_CACHE-MODE": "off"]) { $1 })
        #expect(flagged.cacheMode == .writeOnly)
        #expect(CacheMode.read.allowsRead && !CacheMode.read.allowsWrite)
        #expect(!CacheMode.writeOnly.allowsRead && CacheMode.writeOnly.allowsWrite)
        #expect(!CacheMode.off.allowsRead && !CacheMode.off.allowsWrite)
        #expect(throws: InputError.self) {
            try CacheSettings.resolve(
                flags: CacheSettingsFlags(), environment: base.merging(["INPUT_CACHE-MODE": "rw"]) { $1 })
        }
    }

    @Test func autoIsTheActionsCacheOnlyWithBothVariablesAndNotOnEnterpriseServer() {
        #expect(PrimaryKind.auto.resolved(environment: runtime) == .github)
        #expect(PrimaryKind.auto.resolved(environment: [:]) == .local)
        #expect(PrimaryKind.auto.resolved(environment: ["ACTIONS_RUNTIME_TOKEN": "tok-1234"]) == .local)
        #expect(PrimaryKind.auto.resolved(environment: runtime.merging(["ACTIONS_RESULTS_URL": " "]) { $1 }) == .local)
        #expect(PrimaryKind.local.resolved(environment: runtime) == .local)
        for server in ["https://github.com", "https://acme.ghe.com", "http://github.localhost"] {
            let env = runtime.merging(["GITHUB_SERVER_URL": server]) { $1 }
            #expect(PrimaryKind.auto.resolved(environment: env) == .github, "\(server)")
        }
        let ghes = runtime.merging(["GITHUB_SERVER_URL": "https://git.corp.example"]) { $1 }
        #expect(PrimaryKind.auto.resolved(environment: ghes) == .local)
        #expect(GitHubActionsRuntime(environment: ghes).unavailableReason?.contains("Enterprise Server") == true)
        #expect(PrimaryKind.auto.resolved(environment: ghes.merging(["ACTIONS_VENDOR": "github"]) { $1 }) == .github)
        #expect(PrimaryKind.auto.resolved(environment: ghes.merging(["GITEA_ACTIONS": "true"]) { $1 }) == .github)
        #expect(PrimaryKind.auto.resolved(environment: runtime.merging(["ACTIONS_VENDOR": "ghes"]) { $1 }) == .local)
        #expect(GitHubActionsRuntime(environment: [:]).missing == ["ACTIONS_RESULTS_URL", "ACTIONS_RUNTIME_TOKEN"])
    }

    @Test func primaryGithubNeedsTheRuntimeAndVersionsThePathAsWritten() throws {
        var env = base.merging(["INPUT_PRIMARY": "github", "INPUT_STORAGE-PATH": "~/.local/share/opencode"]) { $1 }
        do {
            _ = try CacheSettings.resolve(flags: CacheSettingsFlags(), environment: env)
            Issue.record("primary github without the runtime variables must be refused")
        } catch {
            #expect(error.input == "primary")
            #expect(error.message.contains("ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN"))
        }
        env.merge(runtime) { $1 }
        let settings = try CacheSettings.resolve(flags: CacheSettingsFlags(), environment: env)
        #expect(settings.primary == .github)
        #expect(settings.storagePath == "/home/runner/.local/share/opencode")
        #expect(settings.versionPath == "~/.local/share/opencode")
        let coordinator = try CacheCoordinator(settings: settings, environment: env, logger: .init(label: "t"))
        let store = try #require(coordinator.primary as? GitHubActionsCacheStore)
        #expect(store.configuration.versionPaths == ["~/.local/share/opencode"])
        #expect(store.configuration.access == .unrestricted)
        let readOnly = try CacheCoordinator(
            settings: settings, environment: env.merging(["ACTIONS_CACHE_MODE": "read"]) { $1 },
            logger: .init(label: "t"))
        #expect((readOnly.primary as? GitHubActionsCacheStore)?.configuration.access.allowsWrite == false)
    }

    @Test func actionsCacheModeSkipsTheStoreWithoutARequest() async throws {
        let fake = try FakeActionsCache()
        let logs = CapturedLogs()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gha-mode-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/src", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/src/a.txt"))
        func store(_ mode: String) -> GitHubActionsCacheStore {
            var configuration = fake.store(logs: logs, temporaryDirectory: dir + "/tmp").configuration
            configuration.access = ActionsCacheAccess(mode: mode)
            return GitHubActionsCacheStore(configuration: configuration)
        }
        let saved = try await store("read").save(directory: dir + "/src", key: "k", options: SaveOptions())
        #expect(saved.outcome == .skipped)
        #expect(saved.message?.contains("ACTIONS_CACHE_MODE is read") == true)
        #expect(try fake.stats().isEmpty, "no request for a save that may not write")
        #expect(
            try await store("write-only").save(directory: dir + "/src", key: "k", options: SaveOptions()).outcome
                == .saved)
        let before = try fake.stats()
        for mode in ["write-only", "none"] {
            let restored = try await store(mode).restore(key: "k", restoreKeys: [], into: dir + "/dst", progress: nil)
            #expect(restored.outcome == .miss)
            #expect(restored.message?.contains("ACTIONS_CACHE_MODE is \(mode)") == true)
            #expect(try await store(mode).lookup(key: "k", restoreKeys: []).outcome == .miss)
        }
        #expect(try fake.stats() == before, "no request for a restore that may not read")
        #expect(!FileManager.default.fileExists(atPath: dir + "/dst"))
        let read = try await store("read").restore(key: "k", restoreKeys: [], into: dir + "/dst", progress: nil)
        #expect(read.outcome == .hit)
    }

    @Test func aReadDeniedTokenIsAWarningAndAMissNotAFailure() async throws {
        let fake = try FakeActionsCache()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gha-deny-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try fake.inject(["deny_read_403": 1])
        let store = fake.store(logs: CapturedLogs(), temporaryDirectory: dir + "/tmp")
        let settings = CacheSettings(storagePath: dir + "/dst", key: "k", primary: .github)
        let coordinator = CacheCoordinator(settings: settings, primary: store, s3: nil, logger: Logger(label: "t"))
        let report = try await coordinator.restore()
        #expect(report.outcome == .miss)
        #expect(report.warnings.contains { $0.contains("cache read denied") }, "\(report.warnings)")
        #expect(try fake.stats()["GetCacheEntryDownloadURL"] == 1)
    }
}
