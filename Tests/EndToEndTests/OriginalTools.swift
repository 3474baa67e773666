import Foundation
import Testing

/// The original Python tools (esptool 5.6.0 …) from the virtualenv scripts/python-env.sh makes.
/// `ESPFLASH_VENV` names it (scripts/test.sh sets it); without it `.build/venv` is used when present. With
/// `ESPFLASH_REQUIRE_TOOLS=1` a missing tool is a test failure, otherwise the test skips its comparison.
enum OriginalTools {
    static let venv: String? = {
        let env = ProcessInfo.processInfo.environment
        let candidates = [env["ESPFLASH_VENV"], CLI.packageRoot.appendingPathComponent(".build/venv").path].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/bin/python") }
    }()

    static var required: Bool { ProcessInfo.processInfo.environment["ESPFLASH_REQUIRE_TOOLS"] == "1" }

    /// Path of `bin/NAME` in the virtualenv, or nil (after recording a failure when tools are required).
    static func executable(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let venv, FileManager.default.isExecutableFile(atPath: venv + "/bin/" + name) { return venv + "/bin/" + name }
        if required {
            Issue.record("\(name) not found in the tools virtualenv (ESPFLASH_VENV=\(venv ?? "unset")); run scripts/python-env.sh",
                         sourceLocation: sourceLocation)
        }
        return nil
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let scratch = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/out", errPath = scratch + "/err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath)), err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: outPath)), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self))
    }
}

/// SplitMix64: a small seeded generator, so every random case can be reproduced from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](); out.reserveCapacity(count + 8)
        while out.count < count { withUnsafeBytes(of: next()) { out += $0 } }
        return Array(out.prefix(count))
    }

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}
