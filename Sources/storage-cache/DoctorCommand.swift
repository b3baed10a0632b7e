import ArgumentParser
import Foundation
import StorageCache

/// `storage-cache doctor`: checks endpoint, credentials, bucket, region, owner and each S3 action a sync needs
/// under the prefix (with a probe object it removes), prints a table or `--json`, exits with the first gap's code.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check credentials, bucket, region, owner and every S3 permission a sync needs.",
        discussion: """
            Reads the same flags and INPUT_* variables as sync. Exit codes: 0 every check passed, 4 a missing \
            permission, refused credentials or a bucket of another account, 3 no such bucket, 2 an invalid input \
            or a wrong region, 1 anything else.
            """)

    @OptionGroup var options: SyncSettingsOptions

    func run() async throws {
        try await SyncCLI.run(json: options.json) { () throws(SyncCommandFailure) in
            let environment = SyncCLI.environment(profile: options.target.profile)
            let doctor: PermissionDoctor
            do throws(InputError) {
                let settings = try SyncSettings.resolve(flags: options.flags, environment: environment)
                doctor = try PermissionDoctor(
                    settings: settings, environment: environment, logger: SyncCLI.logger(verbose: options.verbose))
            } catch {
                throw SyncCommandFailure(error)
            }
            let report = await doctor.run()
            if options.json {
                SyncCLI.printJSON(
                    DoctorJSON(
                        ok: report.firstGap == nil, exitCode: report.exitStatus.rawValue,
                        firstGap: report.firstGap?.check, checks: report.checks))
            } else {
                printLine(SyncCLI.redact(report.table()))
            }
            guard let gap = report.firstGap else { return }
            var message = "doctor: \(gap.check) failed: \(gap.detail)"
            if let statement = gap.statement { message += "; add this IAM statement: \(statement)" }
            var failure = SyncCommandFailure(message: message, exitCode: report.exitStatus.rawValue, kind: gap.check)
            failure.reportedInJSON = options.json
            throw failure
        }
    }

    struct DoctorJSON: Encodable {
        var ok: Bool
        var exitCode: Int32
        var firstGap: String?
        var checks: [DoctorCheck]
    }
}
