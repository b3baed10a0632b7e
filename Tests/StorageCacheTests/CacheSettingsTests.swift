import StorageCache
import Testing

@Suite struct CacheSettingsTests {
    let base = ["HOME": "/home/runner", "GITHUB_REPOSITORY": "octo/app", "RUNNER_OS": "Linux"]

    func resolve(_ inputs: [String: String], flags: CacheSettingsFlags = CacheSettingsFlags()) throws(InputError)
        -> CacheSettings
    {
        try CacheSettings.resolve(flags: flags, environment: base.merging(inputs) { $1 })
    }

    @Test func defaultsFollowOpenCodeAndTheRepository() throws {
        let settings = try resolve([:])
        #expect(settings.storagePath == "/home/runner/.local/share/opencode")
        #expect(settings.key == "opencode-storage-github-octo-app-Linux")
        #expect(settings.primary == .auto)
        #expect(settings.s3 == nil)
        #expect(settings.s3FailureMode == .warn)
        #expect(!settings.failOnCacheMiss && !settings.lookupOnly)
        #expect(try resolve(["INPUT_AGENT-IDENTITY": "discord"]).key == "opencode-storage-discord-octo-app-Linux")
    }

    @Test func inputsAreReadAsTheRunnerPassesThem() throws {
        let settings = try resolve([
            "INPUT_STORAGE-PATH": "~/state", "INPUT_KEY": " v1 ", "INPUT_RESTORE-KEYS": "v1-\n\n  v0-  \n",
            "INPUT_PRIMARY": "none", "INPUT_S3-BACKUP": "True", "INPUT_S3-BUCKET": "my-bucket",
            "INPUT_FAIL-ON-CACHE-MISS": "TRUE", "INPUT_LOOKUP-ONLY": "false", "INPUT_S3-FAILURE-MODE": "fail",
            "INPUT_EXCLUDE": "*.log\nauth.json",
        ])
        #expect(settings.storagePath == "/home/runner/state")
        #expect(settings.key == "v1")
        #expect(settings.restoreKeys == ["v1-", "v0-"])
        #expect(settings.primary == PrimaryKind.none)
        #expect(settings.s3?.location.bucket == "my-bucket")
        #expect(settings.s3?.location.root == "opencode-storage/github/octo-app")
        #expect(settings.failOnCacheMiss && !settings.lookupOnly)
        #expect(settings.s3FailureMode == .fail)
        // OpenCode's defaults first (credentials, logs), then the exclude input.
        #expect(settings.tarball.excludes == ["auth.json", "mcp-auth.json", "/log/", "*.log", "auth.json"])
    }

    @Test func includeCredentialsKeepsOnlyTheLogExcludeForThePrimary() throws {
        let settings = try CacheSettings.resolve(
            flags: CacheSettingsFlags(),
            environment: ["HOME": "/home/runner", "GITHUB_REPOSITORY": "o/r", "INPUT_INCLUDE-CREDENTIALS": "true"])
        #expect(!settings.tarball.excludes.contains("auth.json"))
        #expect(settings.tarball.excludes.contains("/log/"))
    }

    @Test func flagsWin() throws {
        var flags = CacheSettingsFlags()
        flags.key = "flag-key"
        flags.s3Backup = false
        flags.lookupOnly = true
        let settings = try resolve(["INPUT_KEY": "input-key", "INPUT_S3-BACKUP": "true"], flags: flags)
        #expect(settings.key == "flag-key")
        #expect(settings.s3 == nil)
        #expect(settings.lookupOnly)
    }

    @Test func theStateOfTheRestoreStepGivesTheSaveStepsKey() throws {
        #expect(try resolve(["STATE_key": "from-restore"]).key == "from-restore")
        #expect(try resolve(["STATE_key": "from-restore", "INPUT_KEY": "explicit"]).key == "explicit")
    }

    @Test(arguments: [
        (["INPUT_S3-BACKUP": "true"], "s3-bucket"),
        (["INPUT_S3-BACKUP": "on"], "s3-backup"),
        (["INPUT_PRIMARY": "none"], "primary"),
        (["INPUT_PRIMARY": "github"], "primary"),
        (["INPUT_CACHE-MODE": "readonly"], "cache-mode"),
        (["INPUT_AGENT-IDENTITY": "bot"], "agent-identity"),
        (["INPUT_S3-FAILURE-MODE": "skip"], "s3-failure-mode"),
        (["INPUT_S3-BACKUP": "true", "INPUT_S3-BUCKET": "b", "INPUT_S3-PREFIX": "a/../b"], "s3-bucket"),
        (["INPUT_S3-BACKUP": "true", "INPUT_S3-BUCKET": "bucket", "INPUT_S3-PREFIX": "a/../b"], "s3-prefix"),
        (
            ["INPUT_S3-BACKUP": "true", "INPUT_S3-BUCKET": "bucket", "INPUT_S3-ENDPOINT": "localhost:9000"],
            "s3-endpoint"
        ),
        (["INPUT_KEY": ""], "none"),
    ])
    func invalidValuesNameTheirInput(_ inputs: [String: String], _ input: String) {
        do {
            _ = try resolve(inputs)
            #expect(input == "none", "expected an error naming \(input)")
        } catch {
            #expect(error.input == input, "\(error)")
        }
    }

    @Test func aKeyIsRequiredWithoutARepository() {
        #expect(throws: InputError.self) {
            try CacheSettings.resolve(flags: CacheSettingsFlags(), environment: ["HOME": "/h"])
        }
    }
}
