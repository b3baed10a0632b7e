import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a child process ended.
public enum ChildTermination: Sendable, Equatable, CustomStringConvertible {
    /// It exited with a status.
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)

    /// The status a shell reports: the exit status, or 128 + the signal.
    public var exitStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by \(SignalName.of(signal)) (exit code \(128 + signal))"
        }
    }
}

/// A child process started with `posix_spawnp`: the supervisor's stdin, stdout, stderr and environment, every
/// signal at its default disposition and none blocked (the supervisor ignores the signals it forwards, and
/// ignored dispositions would otherwise be inherited).
///
/// Unless stdin is a terminal (an interactive run, where the child must stay in the terminal's foreground group),
/// the child leads a new process group and signals go to the whole group, as systemd and a terminal's Ctrl-C do:
/// a SIGKILL after the grace period then also ends the processes the child started.
///
/// A reaper thread waits for it with `waitid(WNOWAIT)` and marks it exited before reaping it, so ``signal(_:)``
/// never reaches a recycled pid. When the supervisor is pid 1 (a container's entrypoint) it also reaps orphans,
/// while the child runs and after.
public final class SupervisedChild: Sendable {
    /// The child's pid.
    public let pid: pid_t
    /// Whether the child leads its own process group (signals then go to the group).
    public let ownsProcessGroup: Bool
    private let state = Mutex<State>(State())

    private struct State {
        var termination: ChildTermination?
        var waiters: [CheckedContinuation<ChildTermination, Never>] = []
    }

    private init(pid: pid_t, ownsProcessGroup: Bool) {
        self.pid = pid
        self.ownsProcessGroup = ownsProcessGroup
    }

    /// Starts `arguments[0]` (looked up in `PATH`) with the rest as its arguments.
    public static func spawn(_ arguments: [String]) throws(RunError) -> SupervisedChild {
        guard let program = arguments.first, !program.isEmpty else {
            throw RunError(.spawnFailed, "no command given: use storage-cache run [options] -- CMD ARGS…")
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let ownGroup = isatty(STDIN_FILENO) != 1
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if ownGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, program, nil, &attributes, argv, environ)
        guard result == 0 else {
            throw RunError(.spawnFailed, "cannot start \(program): \(String(cString: strerror(result)))")
        }
        let child = SupervisedChild(pid: pid, ownsProcessGroup: ownGroup)
        let thread = Thread { child.reap() }
        thread.name = "storage-cache child reaper"
        thread.start()
        return child
    }

    /// Sends `signal` to the child (its process group, when it leads one) unless it has exited. Returns whether
    /// it was sent.
    @discardableResult
    public func signal(_ signal: Int32) -> Bool {
        state.withLock { state in
            guard state.termination == nil else { return false }
            if ownsProcessGroup && kill(-pid, signal) == 0 { return true }
            return kill(pid, signal) == 0
        }
    }

    /// Whether the child has exited.
    public var hasExited: Bool { state.withLock { $0.termination != nil } }

    /// Waits until the child exits.
    public func wait() async -> ChildTermination {
        await withCheckedContinuation { continuation in
            let done: ChildTermination? = state.withLock { state in
                if let termination = state.termination { return termination }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    private func reap() {
        // As pid 1 (a container's entrypoint) every orphan is re-parented to this process: reap those as they
        // come, so they never pile up as zombies while the child runs.
        let reapOrphans = getpid() == 1
        // Wait without reaping, so the pid stays ours until the exit is recorded under the lock.
        while true {
            var info = siginfo_t()
            let result =
                reapOrphans
                ? waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) : waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT)
            if result != 0 {
                if errno == EINTR { continue }
                if errno == ECHILD { break }
                usleep(100_000)
                continue
            }
            let exited = info._sifields._sigchld.si_pid
            if exited == pid { break }
            var ignored: Int32 = 0
            while waitpid(exited, &ignored, 0) < 0 && errno == EINTR {}
        }
        var status: Int32 = 0
        let waiters: [CheckedContinuation<ChildTermination, Never>]
        let termination: ChildTermination
        (termination, waiters) = state.withLock { state in
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let termination: ChildTermination =
                (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
            state.termination = termination
            let waiters = state.waiters
            state.waiters = []
            return (termination, waiters)
        }
        for waiter in waiters { waiter.resume(returning: termination) }
        if reapOrphans { Self.reapOrphans() }
    }

    /// As pid 1, keeps reaping orphans after the child exited, until the process ends.
    private static func reapOrphans() {
        let thread = Thread {
            var status: Int32 = 0
            while true {
                if waitpid(-1, &status, 0) < 0 {
                    if errno == EINTR { continue }
                    usleep(200_000)
                }
            }
        }
        thread.start()
    }
}

/// Signal names for log lines.
public enum SignalName {
    /// `SIGTERM`, `SIGINT`, …, or `signal N`.
    public static func of(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        case SIGKILL: "SIGKILL"
        case SIGQUIT: "SIGQUIT"
        case SIGPIPE: "SIGPIPE"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        default: "signal \(signal)"
        }
    }
}
