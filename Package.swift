// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "storage-cache",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "StorageCache", targets: ["StorageCache"]),
        .library(name: "S3", targets: ["S3"]),
        .library(name: "Tarball", targets: ["Tarball"]),
        .executable(name: "storage-cache", targets: ["storage-cache"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C libraries, bound through module maps and small shims.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Streaming SHA-256, HMAC and hex over OpenSSL.
        .target(name: "Hashing", dependencies: ["CCrypto"], swiftSettings: strict),
        // libcurl transport: handle pool, multi loop on its own thread bridged to async, file streaming.
        .target(
            name: "HTTPTransport",
            dependencies: ["CCurl", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // SigV4, credentials, S3Client, XML, errors, retries.
        .target(
            name: "S3",
            dependencies: ["HTTPTransport", "Hashing", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // libarchive: deterministic tar.zst writer and safe extractor.
        .target(
            name: "Tarball",
            dependencies: ["CArchive", "Hashing", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The staging copy of a tree: SQLite databases through the online backup API, other files hard-linked.
        .target(
            name: "Capture",
            dependencies: ["CSQLite", "Hashing", "Tarball", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Caches, stores, inputs, coordinator.
        .target(
            name: "StorageCache",
            dependencies: [
                "S3", "Tarball", "Capture", "Hashing", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The executable: argument parsing only.
        .executableTarget(
            name: "storage-cache",
            dependencies: [
                "StorageCache", "S3", "Tarball",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Test-only: the child-process launcher of the loopback fakes and proxies the test targets share.
        .target(name: "TestServers", path: "Tests/TestServers", swiftSettings: strict),
        .testTarget(name: "HashingTests", dependencies: ["Hashing"], swiftSettings: strict),
        .testTarget(
            name: "HTTPTransportTests", dependencies: ["HTTPTransport", "TestServers"],
            exclude: ["Support/test_server.py"], swiftSettings: strict),
        .testTarget(
            name: "S3Tests",
            dependencies: ["S3", "HTTPTransport", "Hashing", "TestServers"],
            exclude: ["Support/botocore_sign.py", "Support/fake_credentials_server.py"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "TarballTests", dependencies: ["Tarball", "Hashing"], swiftSettings: strict),
        .testTarget(
            name: "CaptureTests", dependencies: ["Capture", "CSQLite", "StorageCache", "Tarball", "TestServers"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StorageCacheTests", dependencies: ["StorageCache", "TestServers"],
            exclude: ["Support/fake_actions_cache.py"], swiftSettings: strict),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["S3", "StorageCache", "Capture", "TestServers"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
