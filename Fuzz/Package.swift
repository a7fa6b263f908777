// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for every decoder of untrusted bytes. Build and run them with `scripts/fuzz`; each target is an
// executable whose `LLVMFuzzerTestOneInput` libFuzzer calls (its `main` comes from `-sanitize=fuzzer`).
//
//   scripts/fuzz [--debug] (it adds -enable-testing and the -sanitize-coverage flags a release build needs)

// The main package's features: every file imports what it uses, and re-exports nothing.
let upcomingFeatures: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]
let swiftSettings: [SwiftSetting] =
    upcomingFeatures + [
        // No top-level code and no @main: libFuzzer's `main` drives the target.
        .unsafeFlags(["-parse-as-library"])
    ]

/// SwiftPM names a path dependency after its folder: the checkout's folder name, lower-cased (e.g. "wavecast").
let mainPackage = String(#filePath.split(separator: "/").dropLast(2).last ?? "wavecast").lowercased()

let fuzzTargets = ["FuzzWAV", "FuzzMP3Frames", "FuzzIngestRequest", "FuzzBusMessage"]

/// The swift-nio modules FuzzClientBytes builds the gateway's pipeline with, on an `EmbeddedChannel`.
let nioModules = ["NIOConcurrencyHelpers", "NIOCore", "NIOEmbedded", "NIOHTTP1", "NIOPosix", "NIOWebSocket"]

let package = Package(
    name: "wavecast-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../"),
        // The same minor version as the main package pins (see its Package.swift).
        .package(url: "https://github.com/apple/swift-nio.git", .upToNextMinor(from: "2.101.2")),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            swiftSettings: upcomingFeatures
        ),
        .executableTarget(
            name: "FuzzClientBytes",
            dependencies: [
                "FuzzSupport",
                .product(name: "Gateway", package: mainPackage),
                .product(name: "WavecastCore", package: mainPackage),
            ] + nioModules.map { .product(name: $0, package: "swift-nio") },
            swiftSettings: swiftSettings
        ),
    ]
        + fuzzTargets.map { name in
            .executableTarget(
                name: name,
                dependencies: ["FuzzSupport", .product(name: "WavecastCore", package: mainPackage)],
                swiftSettings: swiftSettings
            )
        }
)
