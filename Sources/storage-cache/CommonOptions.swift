import ArgumentParser
import StorageCache
import Tarball

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--json` and `--verbose`, shared by every command.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the result as one JSON object on stdout.")
    var json = false

    @Flag(name: [.short, .long], help: "Log debug messages to stderr.")
    var verbose = false

    /// The context a command runs in.
    var context: CommandContext { CommandContext(json: json, verbose: verbose) }
}

/// `--cache-dir`.
struct CacheDirectoryOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The local cache directory (default: $STORAGE_CACHE_DIR, else $XDG_CACHE_HOME/storage-cache, else "
                + "~/.cache/storage-cache).",
            valueName: "dir"))
    var cacheDir: String?

    /// The directory chosen, `nil` for the default.
    var directory: String? {
        if let cacheDir { return cacheDir }
        if let fromEnvironment = getenv("STORAGE_CACHE_DIR").map({ String(cString: $0) }), !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return nil
    }
}

/// `--max-size` and `--max-age`.
struct EvictionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Total size the cache may take (e.g. 10GiB, 500MB).", valueName: "size"))
    var maxSize = ByteSizeArgument(bytes: EvictionPolicy.defaultMaxSize, text: "10GiB")

    @Option(
        name: .long, help: ArgumentHelp("Evict entries unused for longer than this (e.g. 7d, 12h).", valueName: "age"))
    var maxAge = AgeArgument(seconds: EvictionPolicy.defaultMaxAge, text: "7d")

    var policy: EvictionPolicy { EvictionPolicy(maxSize: maxSize.bytes, maxAge: maxAge.seconds) }
}

/// `--exclude`, `--compression`, `--level`.
struct TarballFormatOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("A gitignore-like pattern to leave out (repeatable): '*.log', 'tmp/'.", valueName: "pattern")
    )
    var exclude: [String] = []

    @Option(name: .long, help: "Compression: zstd (default), gzip or none.")
    var compression: CompressionArgument = .zstd

    @Option(name: .long, help: "Compression level: 1-19 for zstd (default 3), 1-9 for gzip (default 6).")
    var level: Int?

    func validate() throws {
        guard let level else { return }
        switch compression {
        case .zstd where !(1...19).contains(level):
            throw ValidationError("--level must be between 1 and 19 for zstd, not \(level)")
        case .gzip where !(1...9).contains(level):
            throw ValidationError("--level must be between 1 and 9 for gzip, not \(level)")
        case .none:
            throw ValidationError("--level needs --compression zstd or gzip")
        default:
            break
        }
    }

    var options: TarballOptions {
        let compression: TarballCompression =
            switch self.compression {
            case .zstd: .zstd(level: level ?? 3)
            case .gzip: .gzip(level: level ?? 6)
            case .none: .none
            }
        return TarballOptions(compression: compression, excludes: exclude)
    }
}

enum CompressionArgument: String, ExpressibleByArgument, CaseIterable {
    case zstd, gzip, none
}

/// A byte size flag value (`10GiB`).
struct ByteSizeArgument: ExpressibleByArgument {
    var bytes: Int64
    var text: String

    init(bytes: Int64, text: String) {
        self.bytes = bytes
        self.text = text
    }

    init?(argument: String) {
        guard let bytes = ByteCount.parse(argument) else { return nil }
        self.init(bytes: bytes, text: argument)
    }

    var defaultValueDescription: String { text }
}

/// A duration flag value (`7d`).
struct AgeArgument: ExpressibleByArgument {
    var seconds: Double
    var text: String

    init(seconds: Double, text: String) {
        self.seconds = seconds
        self.text = text
    }

    init?(argument: String) {
        guard let seconds = AgeLimit.parse(argument) else { return nil }
        self.init(seconds: seconds, text: argument)
    }

    var defaultValueDescription: String { text }
}

extension ExitStatus {
    /// Ends the command with this status (nothing to throw on success).
    func finish() throws {
        if self != .success { throw ExitCode(rawValue) }
    }
}
