import Foundation
import Testing

@testable import StorageCache

@Suite struct SyncPlanTests {
    private func file(_ path: String, _ sha: String, size: Int64 = 1, mtime: Double = 1) -> ManifestEntry {
        ManifestEntry(path: path, size: size, mode: 0o644, mtime: mtime, sha256: sha)
    }

    private func manifest(_ files: [ManifestEntry]) -> Manifest {
        Manifest(generation: 1, createdAt: Date(), toolVersion: "t", files: files)
    }

    @Test func firstPushUploadsEverythingAndDeletesStrayObjects() {
        let plan = SyncPlan.make(local: [file("a", "1"), file("b", "2")], remote: nil, remoteObjects: ["a", "old"])
        #expect(plan.uploads.map(\.path) == ["a", "b"])
        #expect(plan.deletes == ["old"])
    }

    @Test func onlyChangedContentIsUploadedAndRemovedFilesDeleted() {
        let remote = manifest([file("a", "1"), file("b", "2"), file("gone", "3")])
        let plan = SyncPlan.make(local: [file("a", "1"), file("b", "changed"), file("new", "4")], remote: remote)
        #expect(plan.uploads.map(\.path) == ["b", "new"])
        #expect(plan.deletes == ["gone"])
        #expect(plan.unchanged == 1)
    }

    @Test func noChangeIsAnEmptyPlanAndMtimeAloneUploadsNothing() {
        let remote = manifest([file("a", "1"), file("b", "2")])
        #expect(SyncPlan.make(local: [file("a", "1"), file("b", "2")], remote: remote).isEmpty)
        let touched = SyncPlan.make(local: [file("a", "1", mtime: 99), file("b", "2")], remote: remote)
        #expect(touched.uploads.isEmpty)
        #expect(touched.deletes.isEmpty)
        #expect(!touched.isEmpty)
    }
}
