import ArgumentParser
import Foundation
import S3
import StorageCache

/// `storage-cache run [options] -- CMD ARGS…`: the bot host mode.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Restore a storage directory, run a command, sync it to S3 while it runs, save it when it ends.",
        discussion: """
            Restores --path from S3, starts CMD, pushes changes every --sync-interval (skipped when a metadata scan \
            shows nothing changed), forwards SIGTERM, SIGINT and SIGHUP to CMD, and saves once more when CMD exits. \
            A stop signal gives CMD --kill-after seconds before SIGKILL; the final save must end within \
            --shutdown-timeout seconds of the signal. With --lease, first takes a lease object beside the manifest \
            (a second host waits --lease-wait, then exits 75 naming the holder; a lease past --lease-ttl is taken \
            over) and renews it at every sync; losing it stops CMD without saving (exit 76). Exits with CMD's \
            status (128 + N when signal N killed it), 75 when another run holds the directory's lock or the lease, \
            127 when CMD cannot be started, 1 when the restore fails.
            """
    )

    @OptionGroup var options: SyncSettingsOptions

    @Option(
        help: ArgumentHelp(
            "Seconds between periodic syncs, 0 for none (INPUT_SYNC-INTERVAL, $SYNC_INTERVAL; default 60).",
            valueName: "seconds"))
    var syncInterval: String?

    @Option(
        help: ArgumentHelp(
            "Seconds from a stop signal (or CMD's exit) to exit, final save included (default 30).",
            valueName: "seconds"))
    var shutdownTimeout: String = "30"

    @Option(
        help: ArgumentHelp(
            "Seconds CMD gets after a forwarded SIGTERM/SIGINT before SIGKILL (default 10).", valueName: "seconds"))
    var killAfter: String = "10"

    @Option(
        help: ArgumentHelp(
            "Also keep a local primary cache in this directory (off by default: S3 is the bot host's store).",
            valueName: "dir"))
    var cacheDir: String?

    @Option(help: "The primary cache key with --cache-dir (default opencode-storage-<identity>-<owner-repo>-Linux).")
    var key: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Take a host lease on the S3 prefix so only one host saves it (INPUT_LEASE; default off).")
    var lease: Bool?

    @Option(
        help: ArgumentHelp(
            "Seconds a lease stays valid without renewal; must exceed --sync-interval (INPUT_LEASE-TTL; default 5m).",
            valueName: "seconds"))
    var leaseTtl: String?

    @Option(
        help: ArgumentHelp(
            "Seconds to wait for another host's lease before exiting 75; 0 exits at once (INPUT_LEASE-WAIT; default 0).",
            valueName: "seconds"))
    var leaseWait: String?

    @Argument(parsing: .postTerminator, help: "The command to run, after `--`.")
    var command: [String] = []

    func run() async throws {
        let environment = SyncCLI.environment(profile: options.target.profile)
        let runOptions: RunOptions
        let leaseSettings: LeaseSettings
        let settings: SyncSettings
        let path: String
        let client: S3Client
        do throws(SyncCommandFailure) {
            runOptions = try makeRunOptions(environment: environment)
            do throws(InputError) {
                leaseSettings = try LeaseSettings.resolve(
                    flags: LeaseSettings.Flags(enabled: lease, ttl: leaseTtl, wait: leaseWait),
                    environment: environment, syncInterval: runOptions.syncInterval)
                settings = try SyncSettings.resolve(flags: options.flags, environment: environment)
            } catch {
                throw SyncCommandFailure(error)
            }
            path = try SyncPath.requireDestination(settings.storagePath)
            client = try SyncCLI.makeClient(
                settings: settings, environment: environment, logger: SyncCLI.logger(verbose: options.verbose))
        } catch {
            SyncCLI.printError(error.message)
            throw ExitCode(error.exitCode)
        }

        let status: Int32
        do throws(RunError) {
            try? FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let lock = try StorageDirectoryLock.acquire(for: path)
            let context = CommandContext(json: false, verbose: options.verbose)
            for warning in settings.warnings { context.logger.warning("\(warning)") }
            var syncOptions = settings.syncOptions()
            let hostLease: HostLease? =
                leaseSettings.enabled
                ? HostLease(
                    store: S3LeaseObjectStore(
                        client: client, location: settings.location, putOptions: syncOptions.putOptions),
                    settings: leaseSettings, logger: context.logger) : nil
            syncOptions.commitGuard = hostLease
            let engine = SyncEngine(
                client: client, location: settings.location, options: syncOptions, logger: context.logger)
            let synchronizer: any StateSynchronizer =
                if let cacheDir {
                    coordinatorSynchronizer(
                        settings: settings, path: path, cacheDir: cacheDir, engine: engine, context: context)
                } else {
                    SyncEngineSynchronizer(engine: engine, directory: path, settings: settings)
                }
            let supervisor = RunSupervisor(
                synchronizer: synchronizer, options: runOptions, logger: context.logger, lease: hostLease)
            status = try await supervisor.run()
            withExtendedLifetime(lock) {}
        } catch {
            if error.code == .leaseLost { dropPendingPush(settings: settings, path: path) }
            SyncCLI.printError(error.message)
            throw ExitCode(error.exitStatus)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// A host that lost the lease holds a state that is no longer current: it must not leave a pending push that a
    /// later `sync --retry-pending` would land over the new holder's.
    private func dropPendingPush(settings: SyncSettings, path: String) {
        let queue = PendingQueue(directory: settings.stateDirectory)
        guard FileManager.default.fileExists(atPath: queue.path) else { return }
        let key = PendingEntry(failedPush: settings, localPath: path, error: "").key
        let dropped =
            (try? queue.update { entries in
                let before = entries.count
                entries.removeAll { $0.key == key }
                return before - entries.count
            }) ?? 0
        if dropped > 0 {
            SyncCLI.printWarning(
                "dropped the pending push of \(path): this host lost the lease, its state is not current")
        }
    }

    /// Primary (local cache, one key replaced by every final save) + S3, through the coordinator.
    private func coordinatorSynchronizer(
        settings: SyncSettings, path: String, cacheDir: String, engine: SyncEngine, context: CommandContext
    ) -> CoordinatorSynchronizer {
        let location = settings.location
        let cacheSettings = CacheSettings(
            storagePath: path,
            key: key
                ?? CacheSettings.defaultKey(agentIdentity: location.agentIdentity, repo: location.repo, os: "Linux"),
            primary: .local, cacheDirectory: cacheDir, s3: settings, agentIdentity: location.agentIdentity,
            repo: location.repo, overwrite: true)
        let coordinator = CacheCoordinator(
            settings: cacheSettings, primary: LocalTarballStore(directory: cacheDir, logger: context.logger),
            s3: S3Backup(settings: settings) { engine }, logger: context.logger)
        return CoordinatorSynchronizer(coordinator: coordinator)
    }

    private func makeRunOptions(environment: [String: String]) throws(SyncCommandFailure) -> RunOptions {
        guard !command.isEmpty else {
            throw SyncCommandFailure(
                InputError(
                    input: "command", flag: "--", message: "is required: storage-cache run [options] -- CMD ARGS…"))
        }
        var runOptions = RunOptions(command: command)
        let inputs = ActionInputs(environment: environment)
        if let text = syncInterval ?? inputs.string("sync-interval") ?? environment["SYNC_INTERVAL"] {
            runOptions.syncInterval = try seconds(text, input: "sync-interval", flag: "--sync-interval")
        }
        runOptions.shutdownTimeout = try seconds(shutdownTimeout, input: "shutdown-timeout", flag: "--shutdown-timeout")
        runOptions.killAfter = try seconds(killAfter, input: "kill-after", flag: "--kill-after")
        guard runOptions.killAfter < runOptions.shutdownTimeout else {
            throw SyncCommandFailure(
                InputError(
                    input: "kill-after", flag: "--kill-after",
                    message:
                        "must be shorter than --shutdown-timeout (\(shutdownTimeout)), leaving time for the final save")
            )
        }
        return runOptions
    }

    private func seconds(_ text: String, input: String, flag: String) throws(SyncCommandFailure) -> Double {
        guard let value = AgeLimit.parse(text), value.isFinite else {
            throw SyncCommandFailure(
                InputError(
                    input: input, flag: flag, message: "must be a duration such as 30, 30s or 2m, not \"\(text)\""))
        }
        return value
    }
}
