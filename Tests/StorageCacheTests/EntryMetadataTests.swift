import Foundation
import Testing

@testable import StorageCache

/// Entry metadata (``SaveOptions/metadata``, ``SaveOptions/resolveMetadata``) round trips through both primary
/// stores, and the freshness inputs parse as documented.
@Suite struct EntryMetadataTests {
    @Test func theLocalStoreKeepsMetadataInTheIndexEntry() async throws {
        let temp = try TemporaryDirectory()
        try TreeFixture.labelled(temp.sub("src"), "meta")
        let store = LocalTarballStore(directory: temp.sub("cache"))
        var options = SaveOptions()
        options.metadata = ["s3generation": "3", "other": "kept"]
        options.resolveMetadata = { GenerationStamp(generation: 4, time: nil).metadata }
        #expect(try await store.save(directory: temp.sub("src"), key: "k-1", options: options).outcome == .saved)
        #expect(
            try await store.save(directory: temp.sub("src"), key: "plain", options: SaveOptions()).outcome == .saved)

        let found = try await store.lookup(key: "k-2", restoreKeys: ["k-"])
        #expect(found.metadata == ["s3generation": "4", "other": "kept"], "resolved metadata wins over static")
        #expect(GenerationStamp(metadata: found.metadata) == GenerationStamp(generation: 4, time: nil))
        let restored = try await store.restore(key: "k-1", into: temp.sub("out"))
        #expect(restored.metadata?["s3generation"] == "4")
        #expect(try await store.lookup(key: "plain", restoreKeys: []).metadata == nil)
        #expect(GenerationStamp(metadata: nil) == nil)
    }

    @Test(arguments: [1 << 20, 64 << 10])
    func theActionsCacheStoreCarriesMetadataAsBlobMetadata(blockSize: Int) async throws {
        let fake = try FakeActionsCache()
        let temp = try TemporaryDirectory()
        let store = fake.store(logs: CapturedLogs(), temporaryDirectory: temp.sub("tmp"), blockSize: Int64(blockSize))
        try TreeFixture.labelled(temp.sub("src"), "meta", bulk: 200_000)
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        var options = SaveOptions()
        options.resolveMetadata = { GenerationStamp(generation: 7, time: time).metadata }
        #expect(try await store.save(directory: temp.sub("src"), key: "g-1", options: options).outcome == .saved)

        let found = try await store.lookup(key: "g-2", restoreKeys: ["g-"])
        #expect(GenerationStamp(metadata: found.metadata) == GenerationStamp(generation: 7, time: time))
        let restored = try await store.restore(key: "g-1", into: temp.sub("out"))
        #expect(restored.outcome == .hit)
        #expect(GenerationStamp(metadata: restored.metadata)?.generation == 7)
        #expect(restored.metadata?["storagecachesha256"] == nil, "the SHA-256 is not entry metadata")
    }

    @Test func restoreOrderAndBaseGenerationParseOrNameTheirInput() throws {
        #expect(try RestoreOrder.resolve(flag: nil, environment: [:]) == .newest)
        #expect(try RestoreOrder.resolve(flag: nil, environment: ["INPUT_RESTORE-ORDER": "S3-First"]) == .s3First)
        #expect(
            try RestoreOrder.resolve(flag: "primary-first", environment: ["INPUT_RESTORE-ORDER": "s3-first"])
                == .primaryFirst)
        #expect {
            try RestoreOrder.resolve(flag: nil, environment: ["INPUT_RESTORE-ORDER": "oldest"])
        } throws: { error in
            (error as? InputError)?.description.contains("restore-order (--restore-order)") == true
        }
        #expect(try BaseGeneration.resolve(environment: ["STATE_s3-generation": "5"]) == 5)
        #expect(
            try BaseGeneration.resolve(environment: ["STATE_s3-generation": "5", "INPUT_S3-BASE-GENERATION": "2"])
                == 2)
        #expect(try BaseGeneration.resolve(environment: ["STATE_s3-generation": ""]) == nil)
        #expect(throws: InputError.self) {
            try BaseGeneration.resolve(environment: ["INPUT_S3-BASE-GENERATION": "-1"])
        }
    }
}
