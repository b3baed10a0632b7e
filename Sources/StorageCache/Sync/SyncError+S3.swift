import S3

extension SyncError {
    /// A ``SyncError`` for a failed S3 call made while `doing` something ("reading the manifest").
    init(s3 error: S3Error, doing: String) {
        let code: Code =
            switch error.code {
            case .accessDenied: .accessDenied
            case .notFound: .notFound
            case .invalidInput: .invalidInput
            case .integrity: .corrupted
            case .localFile: .io
            case .preconditionFailed: .conflict
            case .wrongRegion, .network, .serviceUnavailable, .other: .s3
            }
        var message = "\(doing): \(error.description)"
        if error.code == .accessDenied {
            message += " — check the credentials and that the policy allows this action on the bucket and prefix"
        }
        self.init(code, message)
    }
}
