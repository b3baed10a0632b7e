import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The byte ranges of packs a pull needs, merged and cut into windows fetched with one ranged GET each, and read
/// back from the downloaded window files.
struct PackWindows: Sendable {
    /// One ranged GET: `range` of `key`, saved at `path`.
    struct Window: Sendable {
        var key: String
        var range: PackRange
        var path: String
    }

    /// The windows, sorted by key and offset.
    var windows: [Window]

    /// Largest window: ranges are cut so that parallel GETs share a big file's bytes.
    static let maxWindow: Int64 = 8 << 20
    /// Ranges closer than this are fetched in one GET (the gap is read and dropped).
    static let mergeGap: Int64 = 64 << 10

    /// Windows covering `ranges`, with files under `directory`.
    init(covering ranges: [PackRange], in directory: String) {
        var merged: [PackRange] = []
        let sorted = ranges.filter { $0.length > 0 }.sorted { ($0.key, $0.offset) < ($1.key, $1.offset) }
        for range in sorted {
            if var last = merged.last, last.key == range.key, range.offset <= last.end + Self.mergeGap {
                last.length = max(last.end, range.end) - last.offset
                merged[merged.count - 1] = last
            } else {
                merged.append(range)
            }
        }
        var windows: [Window] = []
        for range in merged {
            var offset = range.offset
            while offset < range.end {
                let length = min(Self.maxWindow, range.end - offset)
                windows.append(
                    Window(
                        key: range.key, range: PackRange(key: range.key, offset: offset, length: length),
                        path: directory + "/w\(windows.count)"))
                offset += length
            }
        }
        self.windows = windows
    }

    struct ReadError: Error {
        var message: String
    }

    /// Copies `range` of a pack from the window files into `fd` at `fileOffset`.
    func copy(_ range: PackRange, to fd: Int32, at fileOffset: Int64, buffer: UnsafeMutableRawBufferPointer)
        throws(ReadError)
    {
        var offset = range.offset
        var target = fileOffset
        while offset < range.end {
            guard let window = window(holding: range.key, offset) else {
                throw ReadError(message: "no downloaded window holds \(range.key) at \(offset)")
            }
            let source = open(window.path, O_RDONLY | O_CLOEXEC)
            guard source >= 0 else { throw ReadError(message: "cannot open \(window.path)") }
            defer { close(source) }
            while offset < min(range.end, window.range.end) {
                let want = Int(min(Int64(buffer.count), min(range.end, window.range.end) - offset))
                let n = pread(source, buffer.baseAddress, want, off_t(offset - window.range.offset))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ReadError(message: "\(range.key) is shorter than the manifest says") }
                var written = 0
                while written < n {
                    let w = pwrite(fd, buffer.baseAddress! + written, n - written, off_t(target) + off_t(written))
                    if w < 0 && errno == EINTR { continue }
                    guard w > 0 else { throw ReadError(message: "cannot write: \(String(cString: strerror(errno)))") }
                    written += w
                }
                offset += Int64(n)
                target += Int64(n)
            }
        }
    }

    /// The window of `key` that holds `offset` (binary search).
    func window(holding key: String, _ offset: Int64) -> Window? {
        var low = 0
        var high = windows.count
        while low < high {
            let mid = (low + high) / 2
            let w = windows[mid]
            if (w.key, w.range.end) <= (key, offset) { low = mid + 1 } else { high = mid }
        }
        guard low < windows.count, windows[low].key == key, windows[low].range.offset <= offset else { return nil }
        return windows[low]
    }
}
