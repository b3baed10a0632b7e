#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the reading thread asks the writing side to do, in archive order.
enum ExtractionOp {
    case directory(components: [[UInt8]], path: [UInt8], mode: mode_t, times: (timespec, timespec)?)
    case symlink(components: [[UInt8]], path: [UInt8], target: [UInt8], times: (timespec, timespec)?)
    case hardLink(components: [[UInt8]], path: [UInt8], target: [[UInt8]])
    /// Creates a file (or, with `reopen`, opens the hard link just made) that the next `data` ops fill.
    case file(components: [[UInt8]], path: [UInt8], mode: mode_t, reopen: Bool)
    /// `count` bytes at `start` of the batch's arena, to write at `offset` of the current file.
    case data(offset: Int64, start: Int, count: Int)
    /// Completes the current file: its size, mode and times.
    case endFile(size: Int64, mode: mode_t, times: (timespec, timespec)?)
}

/// A run of ops and the file content they refer to, copied out of libarchive's buffers.
final class ExtractionBatch: ReusableBatch {
    /// Small batches keep the three threads close behind each other (what a pipe's 64 KiB does for zstd | tar).
    static let arenaSize = 256 << 10
    static let maxOps = 128

    var ops: [ExtractionOp] = []
    /// The descriptors the naming side opened for this batch's `.file` ops, in order.
    var fds: [Int32] = []
    /// How many of ``fds`` the content side took over.
    var fdsTaken = 0
    let arena: UnsafeMutableRawBufferPointer
    var used = 0

    required init() {
        arena = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.arenaSize, alignment: 64)
        ops.reserveCapacity(Self.maxOps)
    }

    deinit { arena.deallocate() }

    var free: Int { arena.count - used }
    var isFull: Bool { free == 0 || ops.count >= Self.maxOps }

    /// Closes the descriptors the content side did not take (the extraction stopped).
    func closeUntaken() {
        for fd in fds[fdsTaken...] { close(fd) }
        fdsTaken = fds.count
    }

    func reset() {
        ops.removeAll(keepingCapacity: true)
        fds.removeAll(keepingCapacity: true)
        fdsTaken = 0
        used = 0
    }
}

/// The naming side: creates directories, links and files in archive order with a ``StagingTreeWriter``; the
/// descriptor of each file it creates goes into the batch (``ExtractionBatch/fds``) for the content side.
struct ExtractionNamer {
    let writer: StagingTreeWriter

    /// Applies the batch's naming ops; on failure the descriptors it opened are closed.
    func apply(_ batch: ExtractionBatch) throws(TarballError) {
        do throws(TarballError) {
            for op in batch.ops {
                switch op {
                case .directory(let components, let path, let mode, let times):
                    try writer.makeDirectory(components, path: path, mode: mode, times: times)
                case .symlink(let components, let path, let target, let times):
                    try writer.makeSymlink(components, path: path, target: target, times: times)
                case .hardLink(let components, let path, let target):
                    try writer.makeHardLink(components, path: path, target: target)
                case .file(let components, let path, let mode, let reopen):
                    let fd =
                        reopen
                        ? try writer.reopenHardLink(components, path: path)
                        : try writer.createFile(components, path: path, mode: mode)
                    batch.fds.append(fd)
                case .data, .endFile:
                    continue
                }
            }
        } catch {
            batch.closeUntaken()
            throw error
        }
    }
}

/// The content side: writes the data of the files the naming side opened, then their size, mode and times,
/// and closes them. Works on descriptors only, so it runs beside the naming side.
final class ExtractionContentWriter {
    private let writer: StagingTreeWriter
    private var current: Int32 = -1
    private var written: Int64 = 0
    /// How much of the current file was handed to ``StagingTreeWriter/startWriteback(_:offset:count:)``.
    private var writebackStarted: Int64 = 0
    /// Large files start their writeback every this many bytes.
    private static let writebackStep: Int64 = 8 << 20
    private var currentPath: [UInt8] = []
    /// False when nothing will wait for the disk (no `syncfs` before the swap): no early writeback then.
    private let startsWriteback: Bool

    init(writer: StagingTreeWriter, startsWriteback: Bool = true) {
        self.writer = writer
        self.startsWriteback = startsWriteback
    }

    deinit { closeCurrent() }

    /// Closes the file being written, if any (after a failure).
    func closeCurrent() {
        if current >= 0 { close(current) }
        current = -1
    }

    /// Applies the batch's content ops, taking its descriptors in order.
    func apply(_ batch: ExtractionBatch) throws(TarballError) {
        for op in batch.ops {
            switch op {
            case .file(_, let path, _, _):
                closeCurrent()
                current = batch.fds[batch.fdsTaken]
                batch.fdsTaken += 1
                written = 0
                writebackStarted = 0
                currentPath = path
            case .data(let offset, let start, let count):
                try writer.write(
                    current, batch.arena.baseAddress! + start, count: count, offset: offset, shown: currentPath)
                written = max(written, offset + Int64(count))
                if startsWriteback, written - writebackStarted >= Self.writebackStep {
                    writer.startWriteback(current, offset: writebackStarted, count: written - writebackStarted)
                    writebackStarted = written
                }
            case .endFile(let size, let mode, let times):
                let fd = current
                current = -1
                if startsWriteback, writebackStarted > 0 || written >= Self.writebackStep / 8 {
                    writer.startWriteback(fd, offset: writebackStarted, count: written - writebackStarted)
                }
                try writer.finishFile(fd, written: written, size: size, mode: mode, times: times, shown: currentPath)
            case .directory, .symlink, .hardLink:
                continue
            }
        }
    }
}
