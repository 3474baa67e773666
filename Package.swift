// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "espflash-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "espflash-swift", targets: ["espflash-swift"]),
        .library(name: "ImageFormats", targets: ["ImageFormats"]),
        .library(name: "SerialBootloader", targets: ["SerialBootloader"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // zlib from the system (Debian: zlib1g-dev), reached through a module map.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "ImageFormats",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SerialBootloader",
            dependencies: ["ImageFormats", "CZlib"]
        ),
        .executableTarget(
            name: "espflash-swift",
            dependencies: [
                "ImageFormats",
                "SerialBootloader",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ImageFormatsTests",
            dependencies: ["ImageFormats"]
        ),
        .testTarget(
            name: "SerialBootloaderTests",
            dependencies: ["SerialBootloader"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["espflash-swift"]
        ),
    ]
)
