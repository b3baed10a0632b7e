import StorageCache
import Testing

@Suite struct ActionInputsTests {
    @Test func variableNamesUpperCaseKeepHyphensAndTurnSpacesIntoUnderscores() {
        #expect(ActionInputs.variableName(for: "s3-bucket") == "INPUT_S3-BUCKET")
        #expect(ActionInputs.variableName(for: "s3-path-style") == "INPUT_S3-PATH-STYLE")
        #expect(ActionInputs.variableName(for: "restore keys") == "INPUT_RESTORE_KEYS")
        let inputs = ActionInputs(environment: ["INPUT_S3-BUCKET": "  my-bucket \n", "INPUT_MY_INPUT": "x"])
        #expect(inputs.string("s3-bucket") == "my-bucket")
        #expect(inputs.string("my input") == "x")
        #expect(inputs.string("s3_bucket") == nil)
    }

    @Test func blankValuesCountAsNotGiven() {
        let inputs = ActionInputs(environment: ["INPUT_S3-PREFIX": "   ", "INPUT_SNAPSHOT": ""])
        #expect(inputs.string("s3-prefix") == nil)
        #expect((try? inputs.bool("snapshot")) == .some(nil))
    }

    @Test(arguments: ["true", "True", "TRUE", "false", "False", "FALSE"])
    func booleansAcceptTheCoreSchemaSpellings(value: String) throws {
        let inputs = ActionInputs(environment: ["INPUT_SNAPSHOT": value])
        #expect(try inputs.bool("snapshot") == (value.lowercased() == "true"))
    }

    @Test(arguments: ["yes", "no", "1", "0", "tRUE", "on", "t"])
    func otherBooleanSpellingsAreRefusedNamingTheInput(value: String) {
        let inputs = ActionInputs(environment: ["INPUT_S3-PATH-STYLE": value])
        #expect {
            _ = try inputs.bool("s3-path-style", flag: "--path-style")
        } throws: { error in
            let error = error as? InputError
            return error?.input == "s3-path-style" && error?.flag == "--path-style"
                && error?.description.contains(value) == true
        }
    }

    @Test func listsHoldOneTrimmedItemPerLineWithoutBlankLines() {
        let inputs = ActionInputs(environment: ["INPUT_EXCLUDE": "*.log\n\n  auth.json  \r\ncache/**\n   \n"])
        #expect(inputs.list("exclude") == ["*.log", "auth.json", "cache/**"])
        #expect(inputs.list("restore-keys").isEmpty)
    }
}

@Suite struct ByteSizeTests {
    @Test func sizesParseWithBinaryAndDecimalSuffixes() throws {
        let cases: [(String, Int64)] = [
            ("1", 1), ("1048576", 1_048_576), ("512K", 512 * 1024), ("512k", 512 * 1024), ("100M", 100 << 20),
            ("2G", 2 << 30), ("1.5GiB", 3 << 29), ("10MiB", 10 << 20), ("10MB", 10_000_000), ("7 KiB", 7 * 1024),
            ("3B", 3), ("1T", 1 << 40),
        ]
        for (text, bytes) in cases {
            #expect(try ByteSize.parse(text, input: "max-sync-size") == bytes, "\(text)")
        }
    }

    @Test(arguments: ["", "abc", "-1", "0", "10X", "1..5M", ".5M", "M", "1e9", "99999999999T"])
    func badSizesNameTheInputAndFlag(text: String) {
        #expect {
            _ = try ByteSize.parse(text, input: "max-file-size", flag: "--max-file-size")
        } throws: { error in
            (error as? InputError)?.input == "max-file-size" && (error as? InputError)?.flag == "--max-file-size"
        }
    }
}

@Suite struct SyncSettingsTests {
    static let base = ["INPUT_S3-BUCKET": "my-bucket", "GITHUB_REPOSITORY": "owner/repo", "HOME": "/home/u"]

    static func resolve(_ environment: [String: String], flags: SyncSettingsFlags = SyncSettingsFlags()) throws
        -> SyncSettings
    {
        try SyncSettings.resolve(flags: flags, environment: environment)
    }

    static func failure(_ environment: [String: String], flags: SyncSettingsFlags = SyncSettingsFlags())
        -> InputError?
    {
        do {
            _ = try resolve(environment, flags: flags)
            return nil
        } catch {
            return error as? InputError
        }
    }

    @Test func defaultsApplyWhenOnlyBucketAndRepositoryAreGiven() throws {
        let settings = try Self.resolve(Self.base)
        #expect(settings.location.bucket == "my-bucket")
        #expect(settings.location.prefix == "opencode-storage")
        #expect(settings.location.agentIdentity == .github)
        #expect(settings.location.root == "opencode-storage/github/owner-repo")
        #expect(settings.region == "us-east-1")
        #expect(settings.endpoint == nil)
        #expect(!settings.pathStyle)
        #expect(settings.concurrency == 32)
        #expect(settings.snapshot)
        #expect(settings.serverSideEncryption == nil)
        #expect(settings.excludes.isEmpty)
        #expect(settings.stateDirectory == "/home/u/.local/state/storage-cache")
    }

    @Test func flagsWinOverInputsWhichWinOverDefaults() throws {
        var environment = Self.base
        environment["INPUT_S3-PREFIX"] = "from-input"
        environment["INPUT_S3-REGION"] = "eu-west-1"
        environment["AWS_REGION"] = "ap-south-1"
        environment["INPUT_CONCURRENCY"] = "8"
        environment["INPUT_EXCLUDE"] = "a\nb"
        var flags = SyncSettingsFlags()
        flags.prefix = "from-flag"
        flags.excludes = ["c"]
        let settings = try Self.resolve(environment, flags: flags)
        #expect(settings.location.prefix == "from-flag")
        #expect(settings.region == "eu-west-1")
        #expect(settings.concurrency == 8)
        #expect(settings.excludes == ["c"])
        #expect(try Self.resolve(environment).excludes == ["a", "b"])
    }

    @Test func regionFallsBackToTheEnvironmentThenUsEast1() throws {
        var environment = Self.base
        environment["AWS_DEFAULT_REGION"] = "eu-central-1"
        #expect(try Self.resolve(environment).region == "eu-central-1")
        environment["AWS_REGION"] = "us-west-2"
        #expect(try Self.resolve(environment).region == "us-west-2")
    }

    @Test func anEndpointTurnsOnPathStyleUnlessTurnedOff() throws {
        var environment = Self.base
        environment["INPUT_S3-ENDPOINT"] = "http://127.0.0.1:9000"
        #expect(try Self.resolve(environment).pathStyle)
        environment["INPUT_S3-PATH-STYLE"] = "false"
        #expect(try !Self.resolve(environment).pathStyle)
        var flags = SyncSettingsFlags()
        flags.pathStyle = true
        #expect(try Self.resolve(environment, flags: flags).pathStyle)
    }

    @Test func nestedRepositoriesAndIdentitiesMapToTheirKeys() throws {
        var environment = Self.base
        environment["INPUT_REPO"] = "org/nested/repo"
        environment["INPUT_AGENT-IDENTITY"] = "discord"
        #expect(try Self.resolve(environment).location.root == "opencode-storage/discord/org-nested-repo")
    }

    @Test func encryptionAndStorageClassAreParsed() throws {
        var environment = Self.base
        environment["INPUT_S3-SSE"] = "aws:kms"
        environment["INPUT_S3-KMS-KEY-ID"] = "alias/my-key"
        environment["INPUT_S3-STORAGE-CLASS"] = "STANDARD_IA"
        let settings = try Self.resolve(environment)
        #expect(settings.serverSideEncryption == .kms(keyID: "alias/my-key"))
        #expect(settings.syncOptions().putOptions.storageClass == "STANDARD_IA")
        environment["INPUT_S3-SSE"] = "AES256"
        environment["INPUT_S3-KMS-KEY-ID"] = nil
        #expect(try Self.resolve(environment).serverSideEncryption == .s3)
    }

    @Test func stateDirectoryFollowsFlagInputXDGThenHome() throws {
        var environment = Self.base
        environment["XDG_STATE_HOME"] = "/xdg"
        #expect(try Self.resolve(environment).stateDirectory == "/xdg/storage-cache")
        environment["INPUT_STATE-DIR"] = "/input-state"
        #expect(try Self.resolve(environment).stateDirectory == "/input-state")
        var flags = SyncSettingsFlags()
        flags.stateDirectory = "~/flag-state"
        #expect(try Self.resolve(environment, flags: flags).stateDirectory == "/home/u/flag-state")
    }

    @Test(arguments: [
        ("INPUT_S3-BUCKET", "Bad_Bucket", "s3-bucket", "--bucket"),
        ("INPUT_S3-BUCKET", "ab", "s3-bucket", "--bucket"),
        ("INPUT_S3-PREFIX", "../x", "s3-prefix", "--prefix"),
        ("INPUT_S3-PREFIX", "/abs", "s3-prefix", "--prefix"),
        ("INPUT_S3-PREFIX", "a//b", "s3-prefix", "--prefix"),
        ("INPUT_S3-REGION", "US EAST", "s3-region", "--region"),
        ("INPUT_S3-ENDPOINT", "ftp://x", "s3-endpoint", "--endpoint"),
        ("INPUT_S3-ENDPOINT", "http://", "s3-endpoint", "--endpoint"),
        ("INPUT_S3-ENDPOINT", "localhost:9000", "s3-endpoint", "--endpoint"),
        ("INPUT_S3-PATH-STYLE", "yes", "s3-path-style", "--path-style"),
        ("INPUT_AGENT-IDENTITY", "slack", "agent-identity", "--agent-identity"),
        ("INPUT_REPO", "owner/../repo", "repo", "--repo"),
        ("INPUT_S3-SSE", "aes256", "s3-sse", "--sse"),
        ("INPUT_S3-KMS-KEY-ID", "key", "s3-kms-key-id", "--kms-key-id"),
        ("INPUT_S3-STORAGE-CLASS", "standard ia", "s3-storage-class", "--storage-class"),
        ("INPUT_MAX-SYNC-SIZE", "lots", "max-sync-size", "--max-sync-size"),
        ("INPUT_MAX-FILE-SIZE", "0", "max-file-size", "--max-file-size"),
        ("INPUT_CONCURRENCY", "0", "concurrency", "--concurrency"),
        ("INPUT_CONCURRENCY", "257", "concurrency", "--concurrency"),
        ("INPUT_CONCURRENCY", "many", "concurrency", "--concurrency"),
        ("INPUT_SNAPSHOT", "on", "snapshot", "--no-snapshot"),
    ])
    func everyInvalidValueNamesItsInputAndFlag(variable: String, value: String, input: String, flag: String) {
        var environment = Self.base
        environment[variable] = value
        let error = Self.failure(environment)
        #expect(error?.input == input, "\(variable)=\(value): \(String(describing: error))")
        #expect(error?.flag == flag)
        #expect(error?.description.contains(input) == true)
    }

    @Test func bucketAndRepositoryAreRequired() {
        #expect(Self.failure(["GITHUB_REPOSITORY": "o/r"])?.input == "s3-bucket")
        #expect(Self.failure(["INPUT_S3-BUCKET": "my-bucket"])?.input == "repo")
        #expect(!SyncSettings.isConfigured(flags: SyncSettingsFlags(), environment: ["GITHUB_REPOSITORY": "o/r"]))
        #expect(SyncSettings.isConfigured(flags: SyncSettingsFlags(), environment: Self.base))
    }

    @Test func sizesAndListsReachTheEngineOptions() throws {
        var environment = Self.base
        environment["INPUT_MAX-SYNC-SIZE"] = "1G"
        environment["INPUT_MAX-FILE-SIZE"] = "100MiB"
        environment["INPUT_EXCLUDE"] = "auth.json\n*.log"
        environment["INPUT_SNAPSHOT"] = "False"
        let options = try Self.resolve(environment).syncOptions()
        #expect(options.maxTotalSize == 1 << 30)
        #expect(options.maxFileSize == 100 << 20)
        #expect(options.excludes == OpenCodeDefaults.excludes(includeCredentials: false) + ["auth.json", "*.log"])
        #expect(!options.snapshot)
    }
}
