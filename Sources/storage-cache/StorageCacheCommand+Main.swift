import ArgumentParser
import StorageCache

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension StorageCacheCommand {
    /// Runs the command line with the documented exit codes: a bad flag or value exits 2 (not swift-argument-
    /// parser's 64) with a message naming the flag; commands exit with the status they throw as `ExitCode`.
    static func main() async {
        // On a runner, mask every secret before anything else is printed.
        StepReporter(runner: RunnerIO(), output: CommandOutput(json: false)).maskSecrets()
        let arguments = SyncCommand.rewrite(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            terminate(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { TerminalOutput.writeOutput(message + "\n") }
                terminate(0)
            }
            if !message.isEmpty { TerminalOutput.writeError(message + "\n") }
            terminate(code == .validationFailure ? ExitStatus.invalidInput.rawValue : ExitStatus.failed.rawValue)
        }
    }
}

/// Ends the process with `status`, flushing stdio.
private func terminate(_ status: Int32) -> Never {
    exit(status)
}
