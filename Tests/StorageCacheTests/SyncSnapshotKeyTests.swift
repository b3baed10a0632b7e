import Testing

@testable import StorageCache

/// Snapshot keys carry the generation they were written for, so a push's clean-up can tell a concurrent push's
/// uncommitted snapshot from an old one.
struct SyncSnapshotKeyTests {
    @Test func theGenerationIsReadFromALabelledKey() {
        #expect(SyncEngine.snapshotGeneration(key: "p/github/o-r/snapshot-g12-0011223344556677.tar.zst") == 12)
        #expect(SyncEngine.snapshotGeneration(key: "p/github/o-r/snapshot-g1-ab.tar.zst") == 1)
    }

    @Test func keysWithoutALabelHaveNoGeneration() {
        #expect(SyncEngine.snapshotGeneration(key: "p/github/o-r/snapshot-0011223344556677.tar.zst") == nil)
        #expect(SyncEngine.snapshotGeneration(key: "p/github/o-r/snapshot-g-12.tar.zst") == nil)
        #expect(SyncEngine.snapshotGeneration(key: "p/github/o-r/snapshot-g12.tar.zst") == nil)
        #expect(SyncEngine.snapshotGeneration(key: "p/github/o-r/snapshot.tar.zst") == nil)
    }
}
