import StorageCache
import Testing

@Suite("OpenCode defaults")
struct OpenCodeDefaultsTests {
    static let base = ["INPUT_S3-BUCKET": "bucket", "INPUT_REPO": "owner/repo", "HOME": "/home/agent"]

    @Test func storagePathDefaultsToTheDataDirectory() throws {
        let settings = try SyncSettings.resolve(flags: SyncSettingsFlags(), environment: Self.base)
        #expect(settings.storagePath == "/home/agent/.local/share/opencode")
        var xdg = Self.base
        xdg["XDG_DATA_HOME"] = "/data"
        #expect(try SyncSettings.resolve(flags: SyncSettingsFlags(), environment: xdg).storagePath == "/data/opencode")
        xdg["INPUT_STORAGE-PATH"] = "~/elsewhere"
        #expect(
            try SyncSettings.resolve(flags: SyncSettingsFlags(), environment: xdg).storagePath
                == "/home/agent/elsewhere")
    }

    @Test func databasePathFollowsOpenCodeDB() {
        #expect(
            OpenCodeDefaults.databasePath(environment: Self.base) == "/home/agent/.local/share/opencode/opencode.db")
        var env = Self.base
        env["OPENCODE_DB"] = "/var/lib/oc.db"
        #expect(OpenCodeDefaults.databasePath(environment: env) == "/var/lib/oc.db")
        env["OPENCODE_DB"] = "other.db"
        #expect(OpenCodeDefaults.databasePath(environment: env) == "/home/agent/.local/share/opencode/other.db")
    }

    @Test func credentialsAndLogsAreExcludedUnlessAskedFor() throws {
        let settings = try SyncSettings.resolve(flags: SyncSettingsFlags(), environment: Self.base)
        let excludes = settings.syncOptions().excludes
        #expect(excludes.contains("auth.json") && excludes.contains("mcp-auth.json") && excludes.contains("/log/"))
        #expect(settings.warnings.isEmpty)
        #expect(settings.syncOptions().captureDatabases)

        var env = Self.base
        env["INPUT_INCLUDE-CREDENTIALS"] = "true"
        let opted = try SyncSettings.resolve(flags: SyncSettingsFlags(), environment: env)
        #expect(!opted.syncOptions().excludes.contains("auth.json"))
        #expect(opted.syncOptions().excludes.contains("/log/"))
        #expect(opted.warnings == [OpenCodeDefaults.credentialsWarning])

        env["INPUT_INCLUDE-CREDENTIALS"] = "maybe"
        #expect(throws: InputError.self) { try SyncSettings.resolve(flags: SyncSettingsFlags(), environment: env) }
    }
}
