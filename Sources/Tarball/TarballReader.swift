/// Extracts tarballs safely: refuses entries that would leave the destination, device nodes and fifos;
/// strips setuid/setgid; extracts into a staging directory beside the destination and swaps it in atomically,
/// so any failure leaves the destination exactly as it was.
public struct TarballReader: Sendable {
    public init() {}

    /// Replaces `destination` with the content of the archive at `path` (zstd, gzip or plain tar, detected).
    /// When `expectedSHA256` is given, the archive's bytes must hash to it or nothing changes.
    public func extract(
        archive path: String, into destination: String, expectedSHA256: String? = nil
    ) throws(TarballError) -> TarballSummary {
        throw TarballError(code: .io, message: "TarballReader is not implemented yet")
    }

    /// The entry paths of the archive at `path`, in archive order.
    public func list(archive path: String) throws(TarballError) -> [String] {
        throw TarballError(code: .io, message: "TarballReader is not implemented yet")
    }
}
