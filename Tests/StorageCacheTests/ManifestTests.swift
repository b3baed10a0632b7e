import Foundation
import Testing

@testable import StorageCache

@Suite struct ManifestTests {
    private func sample() -> Manifest {
        Manifest(
            generation: 3, createdAt: Date(timeIntervalSince1970: 1_700_000_000), toolVersion: "0.1.0",
            parentGeneration: 2,
            files: [
                ManifestEntry(
                    path: "a.json", size: 2, mode: 0o644, mtime: 1.5, sha256: String(repeating: "a", count: 64)),
                ManifestEntry(path: "l", kind: .symlink, size: 0, mode: 0o777, mtime: 1, target: "a.json"),
            ],
            snapshot: ManifestSnapshot(key: "k", sha256: "s", size: 10, generation: 3))
    }

    @Test func roundTripsThroughJSON() throws {
        let manifest = sample()
        #expect(try Manifest.decode(manifest.encoded()) == manifest)
    }

    @Test func encodingIsStable() throws {
        #expect(try sample().encoded() == sample().encoded())
        let text = String(decoding: try sample().encoded(), as: UTF8.self)
        #expect(text.contains("\"formatVersion\":2"))
        #expect(text.contains("\"generation\":3"))
    }

    @Test func refusesUnknownFormatVersions() throws {
        var manifest = sample()
        manifest.formatVersion = 99
        #expect(throws: ManifestError.self) { try Manifest.decode(manifest.encoded()) }
    }

    @Test(arguments: ["../x", "/etc/passwd", "a/../../b", "", "a//b"])
    func refusesUnsafePaths(path: String) throws {
        var manifest = sample()
        manifest.files.append(ManifestEntry(path: path, size: 0, mode: 0o644, mtime: 0, sha256: ""))
        #expect(throws: ManifestError.self) { try Manifest.decode(manifest.encoded()) }
    }

    /// The one-pass check against the split-based one it replaced.
    @Test func safePathCheckAgreesWithSplitting() {
        func reference(_ path: String) -> Bool {
            guard !path.isEmpty, !path.hasPrefix("/") else { return false }
            if path.utf8.contains(where: { $0 < 0x20 }) { return false }
            return !path.split(separator: "/", omittingEmptySubsequences: false).contains {
                $0.isEmpty || $0 == "." || $0 == ".."
            }
        }
        let parts = ["a", ".", "..", "...", ".a", "a.", "", "é", "\n", "b c"]
        var paths: [String] = parts
        for first in parts { for second in parts { paths += [first + "/" + second, "/" + first, first + "/"] } }
        for path in paths {
            #expect(ManifestEntry.isSafeRelativePath(path) == reference(path), "\(path.debugDescription)")
        }
    }

    @Test func refusesDuplicatePathsAndGarbage() throws {
        var manifest = sample()
        manifest.files.append(manifest.files[0])
        #expect(throws: ManifestError.self) { try Manifest.decode(manifest.encoded()) }
        #expect(throws: ManifestError.self) { try Manifest.decode(Array("not json".utf8)) }
    }
}
