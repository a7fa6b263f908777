// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    // Every file imports what it uses, and a module re-exports nothing it does not mean to.
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "wavecast",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wavecast-encoder", targets: ["wavecast-encoder"]),
        .executable(name: "wavecast-gateway", targets: ["wavecast-gateway"]),
        .executable(name: "wavecast", targets: ["wavecast"]),
        .library(name: "WavecastCore", targets: ["WavecastCore"]),
        // For Fuzz/, which drives the gateway's pipeline (with `@testable import`, built with -enable-testing).
        .library(name: "Gateway", targets: ["Gateway"]),
    ],
    dependencies: [
        // Pinned to a minor version: the gateway's direct send path relies on NIO's close order
        // (see PrebuiltFrameWriter's doc comment for what to check before moving on).
        .package(url: "https://github.com/apple/swift-nio.git", .upToNextMinor(from: "2.101.2")),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    ],
    targets: [
        // MARK: System libraries

        .systemLibrary(
            name: "CLame",
            pkgConfig: "lame",
            providers: [.apt(["libmp3lame-dev"])]
        ),
        // libzmq's pkg-config file adds an -isystem flag SwiftPM rejects, so the module map links it directly.
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        // libsodium: the HMAC of listener tokens. Debian's libzmq links it already (CURVE), so neither service gains a
        // library, and no copy of BoringSSL is compiled in each build folder for one HMAC.
        .systemLibrary(
            name: "CSodium",
            providers: [.apt(["libsodium-dev"])]
        ),

        // MARK: Libraries

        .target(
            name: "WavecastCore",
            swiftSettings: swiftSettings
        ),
        // Listener tokens: HS256 JWTs, the HMAC from libsodium. The gateway checks them, the CLI makes them.
        .target(
            name: "WavecastTokens",
            dependencies: [
                "CSodium",
                "WavecastCore",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ZeroMQ",
            dependencies: [
                "CZeroMQ",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MP3Encoding",
            dependencies: ["CLame", "WavecastCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Encoder",
            dependencies: [
                "WavecastCore",
                "ZeroMQ",
                "MP3Encoding",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Gateway",
            dependencies: [
                "WavecastTokens",
                "WavecastCore",
                "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            // The player page, as files (HTML, CSS, JavaScript), compiled into the binary: PlayerAsset serves them.
            resources: [
                .embedInCode("Player/index.html"),
                .embedInCode("Player/player.css"),
                .embedInCode("Player/player-core.js"),
                .embedInCode("Player/player.js"),
                .embedInCode("Player/favicon.svg"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "WavecastClient",
            dependencies: [
                "WavecastCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Executables

        .executableTarget(
            name: "wavecast-encoder",
            dependencies: [
                "Encoder",
                "WavecastCore",
                "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "wavecast-gateway",
            dependencies: [
                "Gateway",
                "WavecastCore",
                "WavecastTokens",
                "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "wavecast",
            dependencies: [
                "WavecastTokens",
                "WavecastCore",
                "WavecastClient",
                "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `wavecast proxy` runs as a service: it logs like one, and its keyring is read under a lock.
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // The benchmark's pure logic (sizes, section choice, result lines, tables), apart so it can be tested.
        .target(
            name: "WavecastBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "wavecast-bench",
            dependencies: [
                "WavecastBench",
                "WavecastClient",
                "WavecastCore",
                "ZeroMQ",
                "MP3Encoding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests

        // What the test targets share: a bus tap, an ingest client, the encoder and gateway as processes, test
        // audio, external tools, ports and scratch directories. No LAME and no service module, so the gateway's
        // tests build without LAME, as the gateway does.
        .target(
            name: "WavecastTestSupport",
            dependencies: [
                "WavecastCore",
                "ZeroMQ",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/WavecastTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WavecastCoreTests",
            dependencies: ["WavecastCore", "WavecastTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WavecastTokensTests",
            dependencies: [
                "WavecastTokens",
                "WavecastCore",
                "WavecastTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZeroMQTests",
            dependencies: [
                "ZeroMQ", "WavecastTestSupport", .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MP3EncodingTests",
            dependencies: ["MP3Encoding", "WavecastCore", "WavecastTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EncoderTests",
            dependencies: [
                "Encoder", "WavecastCore", "WavecastTestSupport", "ZeroMQ", "MP3Encoding",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "WavecastCore", "WavecastTestSupport", "WavecastTokens", "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WavecastClientTests",
            dependencies: [
                "WavecastClient",
                "WavecastCore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WavecastBenchTests",
            dependencies: ["WavecastBench"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["WavecastCore", "WavecastTestSupport", "ZeroMQ"],
            exclude: ["Scripts"],
            swiftSettings: swiftSettings
        ),
    ]
)
