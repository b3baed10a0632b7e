import Capture

extension SyncEngine {
    /// Writes in-memory database images into the staging tree at `directory`, for the rare steps that need every
    /// file on disk (a conflict record's snapshot). A failure leaves the file out (the record then lacks it).
    static func materialize(_ images: [DatabaseImage], into directory: String) {
        for image in images { try? image.write(to: directory + "/" + image.path) }
    }
}
