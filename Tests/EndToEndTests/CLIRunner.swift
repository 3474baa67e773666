import Foundation
import TestSupport

/// Runs the built `espflash-swift` binary and captures what it did.
struct CLIResult {
    var exitCode: Int32
    var stdout: Data
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

enum CLI {
    static let packageRoot = TestSupport.packageRoot

    static func fixture(_ path: String) -> String { packageRoot.appendingPathComponent("Fixtures").appendingPathComponent(path).path }

    /// The binary next to the test bundle (swift test builds it as a dependency), or `ESPFLASH_BIN`.
    static let binary: String = {
        if let override = ProcessInfo.processInfo.environment["ESPFLASH_BIN"] { return override }
        var candidates: [String] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("espflash-swift").path)
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("espflash-swift").path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("espflash-swift").path)
        candidates.append(packageRoot.appendingPathComponent(".build/debug/espflash-swift").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }()

    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:], cwd: String? = nil) throws -> CLIResult {
        let output = try runProcess(binary, arguments, environment: environment, cwd: cwd)
        return CLIResult(exitCode: output.status, stdout: output.stdout, stderr: String(decoding: output.stderr, as: UTF8.self))
    }

    /// A fresh empty folder for one test's outputs.
    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("espflash-e2e-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func read(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }
}
