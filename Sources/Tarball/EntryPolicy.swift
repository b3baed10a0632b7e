import CArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Our own checks on every entry before it is written: what may be extracted and where.
///
/// ``StagingTreeWriter`` is a second line (it cannot write through a link whatever it is asked); this decides
/// from the archive alone, so a hostile archive is refused the same way whatever the disk looks like.
struct EntryPolicy {
    enum Kind { case file, hardLink, directory, symlink }

    struct Admitted {
        /// The normalised relative path (no `.`, `..` or empty components).
        var path: [UInt8]
        /// `path` split into its components.
        var components: [[UInt8]]
        var kind: Kind
        /// For a hard link: the normalised relative path of its target.
        var linkTarget: [UInt8]?
        /// For a hard link: `linkTarget` split into its components.
        var linkTargetComponents: [[UInt8]] = []
    }

    private var symlinks: Set<[UInt8]> = []
    private var files: Set<[UInt8]> = []

    /// The entry's checked path and kind, nil for the root itself (`./`), or the reason it is refused.
    mutating func admit(_ entry: OpaquePointer) throws(TarballError) -> Admitted? {
        let raw = Self.pathname(entry)
        let shown = String(pathBytes: raw)
        guard let components = EntryPath.components(of: raw) else {
            let why = raw.first == UInt8(ascii: "/") ? "an absolute path" : "a '..' component"
            throw TarballError(code: .unsafeEntry, message: "refused entry \(shown): \(why)")
        }
        let type = UInt32(archive_entry_filetype(entry)) & 0o170000
        if components.isEmpty {
            guard type == 0o040000 else {
                throw TarballError(code: .unsafeEntry, message: "refused entry \(shown): the root must be a directory")
            }
            return nil
        }
        var prefix: [UInt8] = []
        for component in components.dropLast() {
            prefix = Posix.join(prefix, component)
            if symlinks.contains(prefix) {
                throw TarballError(
                    code: .unsafeEntry,
                    message:
                        "refused entry \(shown): it would be written through the symlink \(String(pathBytes: prefix))"
                )
            }
        }
        let path = components.dropFirst().reduce(components[0]) { Posix.join($0, $1) }
        symlinks.remove(path)
        files.remove(path)

        if let hardLink = archive_entry_hardlink(entry) {
            let rawTarget = Posix.bytes(hardLink)
            let shownTarget = String(pathBytes: rawTarget)
            guard let target = EntryPath.components(of: rawTarget), !target.isEmpty else {
                throw TarballError(
                    code: .unsafeEntry,
                    message: "refused hard link \(shown) -> \(shownTarget): the target is outside the archive")
            }
            let targetPath = target.dropFirst().reduce(target[0]) { Posix.join($0, $1) }
            guard files.contains(targetPath) else {
                throw TarballError(
                    code: .unsafeEntry,
                    message: "refused hard link \(shown) -> \(shownTarget): the target is not an earlier file "
                        + "of the archive")
            }
            files.insert(path)
            return Admitted(
                path: path, components: components, kind: .hardLink, linkTarget: targetPath,
                linkTargetComponents: target)
        }
        switch type {
        case 0o100000:
            files.insert(path)
            return Admitted(path: path, components: components, kind: .file)
        case 0o040000:
            return Admitted(path: path, components: components, kind: .directory)
        case 0o120000:
            let target = archive_entry_symlink(entry).map { Posix.bytes($0) } ?? []
            guard EntryPath.symlinkStaysInside(entry: components, target: target) else {
                throw TarballError(
                    code: .unsafeEntry,
                    message:
                        "refused symlink \(shown) -> \(String(pathBytes: target)): it points outside the destination"
                )
            }
            symlinks.insert(path)
            return Admitted(path: path, components: components, kind: .symlink)
        case 0o020000, 0o060000:
            throw TarballError(code: .unsupportedEntry, message: "refused entry \(shown): a device node")
        case 0o010000:
            throw TarballError(code: .unsupportedEntry, message: "refused entry \(shown): a fifo")
        case 0o140000:
            throw TarballError(code: .unsupportedEntry, message: "refused entry \(shown): a socket")
        default:
            throw TarballError(code: .unsupportedEntry, message: "refused entry \(shown): an unknown file type")
        }
    }

    /// The entry's path bytes as stored (the local form, else the UTF-8 one).
    static func pathname(_ entry: OpaquePointer) -> [UInt8] {
        if let path = archive_entry_pathname(entry) { return Posix.bytes(path) }
        if let path = archive_entry_pathname_utf8(entry) { return Posix.bytes(path) }
        return []
    }
}
