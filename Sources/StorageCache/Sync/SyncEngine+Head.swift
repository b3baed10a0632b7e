import S3

extension SyncEngine {
    /// The current generation in one request: a HEAD of `manifest.json` (the commit stores the generation in its
    /// metadata). A manifest written without that metadata (an older storage-cache) is read whole instead.
    /// `nil` when no manifest has been committed.
    public func readHead() async throws(SyncError) -> ManifestHead? {
        let head: S3ObjectHead
        do {
            head = try await client.headObject(bucket: location.bucket, key: location.manifestKey)
        } catch {
            if error.code == .notFound { return nil }
            throw SyncError(s3: error, doing: "reading the head of s3://\(location.bucket)/\(location.manifestKey)")
        }
        if let parsed = ManifestHead(metadata: head.metadata, etag: head.etag) { return parsed }
        logger.debug("manifest.json has no generation metadata; reading it whole")
        guard let remote = try await readManifest() else { return nil }
        return ManifestHead(
            generation: remote.manifest.generation, createdAt: remote.manifest.createdAt, etag: remote.etag)
    }

    /// This engine with other options (same client, location and logger): e.g. a push conditional on the
    /// generation it was built on (``SyncOptions/expectedBaseGeneration``).
    public func with(options change: (inout SyncOptions) -> Void) -> SyncEngine {
        var options = self.options
        change(&options)
        return SyncEngine(client: client, location: location, options: options, logger: logger)
    }
}
