// swift-tools-version:6.1
import PackageDescription

// Linux only: the serial transports call Linux interfaces (termios2, Linux ioctls, Glibc), and only Linux builds
// are tested (scripts/test.sh, CI). No Apple platform is declared, and SerialBootloader stops a build elsewhere
// with an error saying so (Sources/SerialBootloader/Support/Platform.swift).
let package = Package(
    name: "espflash-swift",
    products: [
        .executable(name: "espflash-swift", targets: ["espflash-swift"]),
        .library(name: "ImageFormats", targets: ["ImageFormats"]),
        .library(name: "SerialBootloader", targets: ["SerialBootloader"]),
        .library(name: "ChipEmulator", targets: ["ChipEmulator"]),
        .library(name: "ATCommands", targets: ["ATCommands"]),
        .library(name: "Station", targets: ["Station"]),
        .library(name: "StationPostgres", targets: ["StationPostgres"]),
        .library(name: "StationServer", targets: ["StationServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // 4.x: FoundationEssentials instead of Foundation on Linux (a smaller, faster-starting binary), and the
        // stable CryptoExtras product (the single-block AES that NVS's XTS is built from; NVS/AESBlock.swift).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // The station's SQLite storage and its recipe format.
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        // A line of stations: PostgreSQL as the shared store, and the line's web dashboard. Hummingbird without its
        // default traits (swift-configuration support, full Foundation): neither is used, both cost build time.
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    ],
    targets: [
        // zlib from the system (Debian: zlib1g-dev), reached through a module map.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // libdeflate from the system (Debian: libdeflate-dev): smaller zlib streams than zlib -9 for FLASH_DEFL.
        .systemLibrary(
            name: "CDeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]
        ),
        // POSIX/Linux calls Swift cannot make directly: variadic ioctl (modem lines, termios2), pty setup.
        .target(name: "CSerialSupport"),
        .target(
            name: "ImageFormats",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .target(
            name: "SerialBootloader",
            dependencies: [
                "ImageFormats",
                "CZlib",
                "CDeflate",
                "CSerialSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The device side: emulated ROM loaders (and, later, firmware) that the host side is tested against.
        .target(
            name: "ChipEmulator",
            dependencies: [
                "ImageFormats",
                "SerialBootloader",
                "CSerialSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The host side of the ESP32 AT firmware: response framing, typed commands and replies, the client.
        .target(
            name: "ATCommands",
            dependencies: ["ImageFormats", "SerialBootloader"]
        ),
        // The production station: recipe, unit allocation, per-module images, records and their storage, the scheduler.
        .target(
            name: "Station",
            dependencies: [
                "ImageFormats",
                "SerialBootloader",
                "ATCommands",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The station's storage on PostgreSQL (a line of stations sharing one pool of units and one record).
        .target(
            name: "StationPostgres",
            dependencies: [
                "Station",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The line's web dashboard (`station serve`): one static page, JSON endpoints, server-sent events.
        .target(
            name: "StationServer",
            dependencies: [
                "Station",
                "ImageFormats",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "espflash-swift",
            dependencies: [
                "ImageFormats",
                "SerialBootloader",
                "ChipEmulator",
                "ATCommands",
                "Station",
                "StationPostgres",
                "StationServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: [
                // A position-dependent release executable: no load-time relocation of its ~80,000 pointers, about
                // 1 ms of every start (scripts call the tool thousands of times). With the README's
                // `--static-swift-stdlib` build, --version starts in about 3 ms (README, Start-up).
                .unsafeFlags(["-Xlinker", "-no-pie"], .when(platforms: [.linux], configuration: .release)),
            ]
        ),
        // Shared by the test targets: the original tools' virtualenv, running programs, a seeded generator.
        .target(
            name: "TestSupport",
            dependencies: ["ImageFormats", "SerialBootloader", "ChipEmulator"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "ImageFormatsTests",
            dependencies: ["ImageFormats", "TestSupport"]
        ),
        .testTarget(
            name: "SerialBootloaderTests",
            dependencies: ["SerialBootloader", "ChipEmulator", "ImageFormats", "TestSupport"]
        ),
        .testTarget(
            name: "ChipEmulatorTests",
            dependencies: ["ChipEmulator", "SerialBootloader", "ImageFormats", "TestSupport"]
        ),
        .testTarget(
            name: "ATCommandsTests",
            dependencies: ["ATCommands", "ChipEmulator", "SerialBootloader", "ImageFormats", "TestSupport"]
        ),
        .testTarget(
            name: "StationTests",
            dependencies: ["Station", "StationPostgres", "StationServer", "ChipEmulator", "ATCommands", "SerialBootloader", "ImageFormats",
                           "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["espflash-swift", "TestSupport", "Station", "StationPostgres", "ImageFormats"]
        ),
    ]
)

// The libFuzzer targets (Tools/fuzz, scripts/fuzz.sh), declared only when ESPFLASH_FUZZ is set: the parsers' modules
// are then compiled with coverage and AddressSanitizer (only they: the dependencies build as usual), and the fuzz
// executable links libFuzzer, which no other product can link with.
// ESPFLASH_FUZZ_SANITIZERS=fuzzer drops AddressSanitizer (the long campaign's build: about twice the executions).
if Context.environment["ESPFLASH_FUZZ"] != nil {
    let sanitizers: [String] = ["-sanitize=" + (Context.environment["ESPFLASH_FUZZ_SANITIZERS"] ?? "fuzzer,address")]
    for target in package.targets where ["ImageFormats", "SerialBootloader", "ATCommands", "Station"].contains(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(sanitizers)]
    }
    package.targets.append(.executableTarget(
        name: "espflash-fuzz",
        dependencies: ["ImageFormats", "SerialBootloader", "ATCommands", "Station"],
        path: "Tools/fuzz/Targets",
        // One source file would be compiled as top-level code with its own `main`; FuzzTarget.swift defines it.
        swiftSettings: [.unsafeFlags(sanitizers + ["-parse-as-library"])],
        linkerSettings: [.unsafeFlags(sanitizers)]
    ))
}
