import Foundation
import Tarball
import Testing

/// Trees large enough to fill every queue of the compression and extraction pipelines (the other tests' trees
/// fit in one batch), so back-pressure between the threads and stopping with full queues are exercised.
@Suite(.timeLimit(.minutes(3))) struct PipelineTests {
    /// 30 directories of 200 files (0.3–2 KB), then three ~3.5 MB files: dozens of batches of 512 ops / 1 MiB.
    static func makeWide(_ root: String) throws {
        try Tree.mkdir(root)
        for directory in 0..<30 {
            let path = root + "/dir-\(directory)"
            try Tree.mkdir(path)
            for file in 0..<200 {
                let words = 50 + (file * 37) % 250
                try Tree.write(path + "/f-\(file).json", String(repeating: "\(directory)-\(file) ", count: words))
            }
        }
        for big in 0..<3 {
            try Tree.write(root + "/z-big-\(big).bin", String(repeating: "block \(big) of a big file ", count: 1 << 17))
        }
    }

    @Test func manyFilesRoundTripThroughFullQueues() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Self.makeWide(source)
        let archive = scratch.sub("wide.tar.zst")
        let written = try TarballWriter().write(directory: source, to: archive)
        let restored = scratch.sub("restored")
        let extracted = try TarballReader(syncBeforeSwap: false).extract(archive: archive, into: restored)

        #expect(written.files == 6003)
        #expect(extracted.files == written.files)
        #expect(extracted.sha256 == written.sha256)
        #expect(Tree.snapshot(restored) == Tree.snapshot(source))
        // Compression on its own thread still gives one archive per tree.
        let again = try TarballWriter().write(directory: source, to: scratch.sub("again.tar.zst"))
        #expect(again.sha256 == written.sha256)
    }

    @Test func aStreamCutAfterManyBatchesFailsCleanlyAndClosesEveryFile() throws {
        let scratch = try Scratch()
        let source = scratch.sub("source")
        try Self.makeWide(source)
        let archive = scratch.sub("wide.tar.zst")
        _ = try TarballWriter().write(directory: source, to: archive)
        let full = try Data(contentsOf: URL(fileURLWithPath: archive))
        let cut = scratch.sub("cut.tar.zst")
        try full.prefix(full.count * 7 / 10).write(to: URL(fileURLWithPath: cut))
        let destination = scratch.sub("destination")
        try Tree.mkdir(destination)
        try Tree.write(destination + "/keep", "the old tree")
        let before = Tree.snapshot(destination)

        let error = #expect(throws: TarballError.self) {
            _ = try TarballReader().extract(archive: cut, into: destination)
        }
        #expect(error?.code == .corrupted, "\(error?.message ?? "")")
        #expect(Tree.snapshot(destination) == before)
        #expect(Tree.stagingLeftovers(scratch.path).isEmpty)
        // No descriptor of this extraction's staging tree is left open (other tests' files may be).
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        let leaked = fds.compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)
        }
        .filter { $0.contains(".destination.sc-staging-") }
        #expect(leaked.isEmpty, "\(leaked)")
    }
}
