import Testing

@testable import StorageCache

@Suite struct SyncLocationTests {
    @Test func keysFollowTheRFC019Layout() throws {
        let location = try SyncLocation(bucket: "b", agentIdentity: .github, repo: "owner/repo")
        #expect(location.storagePrefix == "opencode-storage/github/owner-repo/storage/")
        #expect(
            location.key(forRelativePath: "sessions/a.json")
                == "opencode-storage/github/owner-repo/storage/sessions/a.json")
        #expect(location.manifestKey == "opencode-storage/github/owner-repo/manifest.json")
        #expect(location.snapshotKey == "opencode-storage/github/owner-repo/snapshot.tar.zst")
        #expect(location.relativePath(forKey: location.key(forRelativePath: "x/y")) == "x/y")
        #expect(location.relativePath(forKey: location.manifestKey) == nil)
    }

    @Test func reposAreSanitizedAsTheRFCSays() {
        #expect(SyncLocation.sanitize(repo: "owner/repo") == "owner-repo")
        #expect(SyncLocation.sanitize(repo: "org/nested/repo") == "org-nested-repo")
        #expect(SyncLocation.sanitize(repo: "single") == "single")
    }

    @Test func customPrefixAndDiscordIdentity() throws {
        let location = try SyncLocation(bucket: "b", prefix: "team/state/", agentIdentity: .discord, repo: "o/r")
        #expect(location.root == "team/state/discord/o-r")
    }

    @Test(arguments: ["", "/abs", "a/../b", "..", "a//b", "./a", "a/\u{1}"])
    func badPrefixesAreRefusedNamingTheInput(prefix: String) {
        #expect {
            try SyncLocation(bucket: "b", prefix: prefix, agentIdentity: .github, repo: "o/r")
        } throws: { error in
            (error as? SyncLocationError)?.input == "s3-prefix"
        }
    }

    @Test(arguments: ["", "  ", "o/..", "../r"])
    func badReposAreRefusedNamingTheInput(repo: String) {
        #expect {
            try SyncLocation(bucket: "b", agentIdentity: .github, repo: repo)
        } throws: { error in
            (error as? SyncLocationError)?.input == "repo"
        }
    }
}
