import Foundation
import HTTPTransport
import Logging
import S3

/// `storage-cache doctor`: checks, in order, that the endpoint is acceptable, that credentials are found and
/// accepted, that the bucket exists in the configured region and belongs to the expected owner, and that each
/// action a sync needs is allowed under the prefix: `s3:ListBucket` (a listing of the location), `s3:PutObject`,
/// `s3:GetObject` and `s3:DeleteObject` on a probe object under the location that it removes afterwards (with
/// SSE-KMS the put and get also exercise `kms:GenerateDataKey` and `kms:Decrypt`). It stops at the first gap.
///
/// An empty location passes: nothing stored yet is a clean miss, not an error.
public struct PermissionDoctor: Sendable {
    /// Makes a client for a configuration (the doctor varies the owner header and region redirects).
    public typealias ClientFactory = @Sendable (S3ClientConfiguration) -> S3Client

    let settings: SyncSettings
    let endpoint: S3Endpoint
    let credentials: any CredentialProvider
    let makeClient: ClientFactory

    /// A doctor for `settings` on `endpoint` (already checked), with clients from `makeClient`.
    public init(
        settings: SyncSettings, endpoint: S3Endpoint, credentials: any CredentialProvider,
        makeClient: @escaping ClientFactory
    ) {
        self.settings = settings
        self.endpoint = endpoint
        self.credentials = credentials
        self.makeClient = makeClient
    }

    /// A doctor whose clients take credentials from the AWS chain over `environment`; the endpoint is checked
    /// (``SyncSettings/checkedEndpoint()``) first.
    public init(settings: SyncSettings, environment: [String: String], logger: Logger) throws(InputError) {
        let endpoint = try settings.checkedEndpoint()
        var configuration = HTTPClientConfiguration()
        configuration.maxConcurrentRequests = 8
        let http = HTTPClient(configuration: configuration, logger: logger)
        let chain = CredentialProviderChain(environment: environment, httpClient: http, logger: logger)
        self.init(settings: settings, endpoint: endpoint, credentials: chain) { configuration in
            S3Client(configuration: configuration, credentials: chain, http: http, logger: logger)
        }
    }

    /// The probe's body.
    static let probeBody = Array("storage-cache doctor probe: safe to delete\n".utf8)

    /// Runs every check up to the first gap.
    public func run() async -> DoctorReport {
        var run = DoctorRun(settings: settings)
        run.pass("endpoint", endpoint.url(bucket: nil) + (endpoint.isAWS ? " (AWS)" : ""))
        do {
            let found = try await credentials.credentials()
            run.pass("credentials", "found (access key id ending \(found.accessKeyID.suffix(4)))")
        } catch {
            run.fail("credentials", error.description, status: .accessDenied)
            return run.report()
        }
        guard await checkBucket(&run) else { return run.report() }
        await checkObjectActions(&run)
        return run.report()
    }

    /// The client configuration from the settings, with region redirects off (a wrong region is a finding).
    func configuration(owner: String?) -> S3ClientConfiguration {
        var configuration = settings.clientConfiguration(endpoint: endpoint)
        configuration.followRegionRedirects = false
        configuration.expectedBucketOwner = owner
        return configuration
    }

    /// Bucket, region, owner and `s3:ListBucket`, from one listing of the location (and, when it is denied with an
    /// expected owner, one without the owner header to tell the two apart).
    func checkBucket(_ run: inout DoctorRun) async -> Bool {
        let location = settings.location
        let client = makeClient(configuration(owner: settings.expectedBucketOwner))
        do {
            let page = try await client.listObjectsV2Page(
                bucket: location.bucket, prefix: location.root + "/", maxKeys: 1)
            run.pass("bucket", "s3://\(location.bucket) exists")
            run.pass("region", settings.region)
            if let owner = settings.expectedBucketOwner {
                run.pass("owner", "S3 accepted x-amz-expected-bucket-owner \(owner)")
            } else {
                run.skip("owner", "not checked: s3-expected-bucket-owner is not set")
            }
            let contents =
                page.objects.isEmpty
                ? "nothing stored under \(location.root)/ yet (a restore is a clean miss)"
                : "\(location.root)/ holds objects"
            run.pass("s3:ListBucket", "listed \(S3Permission.bucketARN(location.bucket)): \(contents)")
            return true
        } catch {
            return await bucketFailure(error, run: &run)
        }
    }

    func bucketFailure(_ error: S3Error, run: inout DoctorRun) async -> Bool {
        let location = settings.location
        switch error.code {
        case .notFound:
            run.fail(
                "bucket", "s3://\(location.bucket) does not exist (\(error.s3Code ?? "NoSuchBucket"))",
                status: .notFound)
        case .wrongRegion:
            run.pass("bucket", "s3://\(location.bucket) exists")
            let region = error.bucketRegion ?? "another region"
            run.fail(
                "region", "the bucket is in \(region), not \(settings.region): set s3-region (--region) \(region)",
                status: .invalidInput)
        case .accessDenied where S3Client.credentialRefusals.contains(error.s3Code ?? ""):
            run.replace(
                "credentials", with: DoctorCheck(check: "credentials", status: .failed, detail: error.description))
            run.status = .accessDenied
        case .accessDenied:
            if let owner = settings.expectedBucketOwner,
                (try? await makeClient(configuration(owner: nil)).listObjectsV2Page(
                    bucket: location.bucket, prefix: location.root + "/", maxKeys: 1)) != nil
            {
                run.pass("bucket", "s3://\(location.bucket) exists")
                run.pass("region", settings.region)
                run.fail(
                    "owner",
                    "S3 refused x-amz-expected-bucket-owner \(owner) but answered without it: the bucket belongs to "
                        + "another account (check s3-bucket and s3-expected-bucket-owner)", status: .accessDenied)
                return false
            }
            let permission = S3Permission(action: "s3:ListBucket", resource: S3Permission.bucketARN(location.bucket))
            run.skip("bucket", "unknown: listing it was denied")
            run.skip("region", "unknown")
            run.skip("owner", settings.expectedBucketOwner.map { "unknown (\($0))" } ?? "not set")
            run.fail(
                "s3:ListBucket", "denied: \(permission) is missing", status: .accessDenied,
                statement: permission.statement)
        default:
            run.fail("bucket", error.description, status: .failed)
        }
        return false
    }

    /// `s3:PutObject`, `s3:GetObject`, `s3:DeleteObject` on a probe object under the location.
    func checkObjectActions(_ run: inout DoctorRun) async {
        let location = settings.location
        let client = makeClient(configuration(owner: settings.expectedBucketOwner))
        let key = "\(location.root)/doctor-probe-\(UUID().uuidString.lowercased())"
        let putOptions = settings.syncOptions().putOptions
        let kms = putOptions.serverSideEncryption.map { if case .kms = $0 { true } else { false } } ?? false
        let put = kms ? "s3:PutObject + kms:GenerateDataKey" : "s3:PutObject"
        let get = kms ? "s3:GetObject + kms:Decrypt" : "s3:GetObject"
        do {
            try await client.putObject(
                bucket: location.bucket, key: key, body: .bytes(Self.probeBody), options: putOptions)
            run.pass(put, "wrote s3://\(location.bucket)/\(key)")
        } catch {
            run.gap(put, error, fallback: "s3:PutObject", location: location)
            return
        }
        var gapped = false
        do {
            let (bytes, _) = try await client.getObjectBytes(bucket: location.bucket, key: key, limit: 1 << 16)
            if bytes == Self.probeBody {
                run.pass(get, "read the probe back")
            } else {
                run.fail(get, "the probe read back differs from what was written", status: .dataIntegrity)
                gapped = true
            }
        } catch {
            run.gap(get, error, fallback: "s3:GetObject", location: location)
            gapped = true
        }
        do {
            try await client.deleteObject(bucket: location.bucket, key: key)
            if !gapped { run.pass("s3:DeleteObject", "removed the probe") }
        } catch {
            if gapped {
                run.note(" (the probe s3://\(location.bucket)/\(key) could not be removed: \(error.code))")
            } else {
                run.gap("s3:DeleteObject", error, fallback: "s3:DeleteObject", location: location)
                run.note(" (the probe s3://\(location.bucket)/\(key) is left behind)")
            }
        }
    }
}
