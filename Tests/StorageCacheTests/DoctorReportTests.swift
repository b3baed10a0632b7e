import Testing

@testable import StorageCache

@Suite struct DoctorReportTests {
    static let settings: SyncSettings = {
        // swift-format-ignore
        try! SyncSettings.resolve(flags: SyncSettingsFlags(), environment: SyncSettingsTests.base)
    }()

    @Test func theFirstGapSetsTheExitStatusAndTheRestAreSkipped() {
        var run = DoctorRun(settings: Self.settings)
        run.pass("endpoint", "https://s3.us-east-1.amazonaws.com/")
        run.pass("credentials", "found")
        run.fail("bucket", "no such bucket", status: .notFound)
        run.fail("region", "later failures do not change the status", status: .invalidInput)
        let report = run.report()
        #expect(report.exitStatus == .notFound)
        #expect(report.firstGap?.check == "bucket")
        #expect(report.checks.map(\.check) == run.allChecks)
        #expect(report.checks.suffix(4).allSatisfy { $0.status == .skipped })
    }

    @Test func theTableHasOneAlignedLinePerCheck() {
        var run = DoctorRun(settings: Self.settings)
        run.pass("endpoint", "e")
        let lines = run.report().table().split(separator: "\n")
        #expect(lines.count == 1 + run.allChecks.count)
        #expect(lines[0].hasPrefix("check"))
        let column = lines[0].range(of: "status")?.lowerBound.utf16Offset(in: lines[0])
        #expect(
            lines.dropFirst().allSatisfy { line in
                let status = line.dropFirst(column ?? 0)
                return status.hasPrefix("ok") || status.hasPrefix("skipped") || status.hasPrefix("FAILED")
            })
        #expect(run.allChecks.contains("s3:ListBucket") && run.allChecks.contains("s3:DeleteObject"))
    }

    @Test func kmsNamesTheKeyActionsToo() throws {
        var environment = SyncSettingsTests.base
        environment["INPUT_S3-SSE"] = "aws:kms"
        let settings = try SyncSettings.resolve(flags: SyncSettingsFlags(), environment: environment)
        let checks = DoctorRun(settings: settings).allChecks
        #expect(checks.contains("s3:PutObject + kms:GenerateDataKey"))
        #expect(checks.contains("s3:GetObject + kms:Decrypt"))
    }
}
