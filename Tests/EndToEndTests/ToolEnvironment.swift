import Foundation
import Testing

/// The original tools the conformance and differential tests compare against (scripts/python-env.sh installs
/// them into a virtualenv; scripts/test.sh exports ESPFLASH_VENV and ESPFLASH_REQUIRE_TOOLS=1).
enum ToolEnvironment {
    static let environment = ProcessInfo.processInfo.environment
    /// When set, a missing tool fails the test instead of skipping it.
    static let required = environment["ESPFLASH_REQUIRE_TOOLS"] == "1"

    static let venv: String? = {
        let candidates = [environment["ESPFLASH_VENV"], CLI.packageRoot.appendingPathComponent(".build/venv").path].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/bin/python") }
    }()

    static func tool(_ name: String) -> String? {
        guard let venv else { return nil }
        let path = venv + "/bin/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    static var esptool: String? { tool("esptool") }

    /// Run the test if the tool is there, or if tools are required (then the test fails on the missing tool).
    static func available(_ name: String) -> Bool { tool(name) != nil || required }

    static func systemTool(_ name: String) -> String? {
        for dir in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/sbin"] where FileManager.default.isExecutableFile(atPath: dir + "/" + name) {
            return dir + "/" + name
        }
        return nil
    }
}

/// A background `espflash-swift emulate` process.
final class EmulatorProcess {
    let process = Process()
    let port: String
    let flashFile: String
    let logFile: String

    /// Starts the emulator and waits until its port file appears.
    init(chip: String, pty: Bool, flashFile: String, extra: [String] = []) throws {
        self.flashFile = flashFile
        let dir = (flashFile as NSString).deletingLastPathComponent
        let portFile = dir + "/port-\(UUID().uuidString).txt"
        logFile = dir + "/emulator-\(UUID().uuidString).err"
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["emulate", "--chip", chip] + (pty ? ["--pty"] : ["--listen", "127.0.0.1:0"])
            + ["--port-file", portFile, "--flash", flashFile] + extra
        FileManager.default.createFile(atPath: logFile, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: portFile) {
            guard Date() < deadline, process.isRunning else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "emulator did not start"])
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        port = try String(contentsOfFile: portFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SIGTERM, then wait: the emulator saves its flash on the way out.
    func stop() -> String {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    }

    deinit { if process.isRunning { process.terminate() } }
}

/// Runs an external program, capturing stdout and stderr together.
func runTool(_ path: String, _ arguments: [String], timeout: TimeInterval = 300) throws -> (code: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString).txt")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: outURL) }
    let handle = try FileHandle(forWritingTo: outURL)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning { process.terminate(); process.waitUntilExit() }
    try handle.close()
    return (process.terminationStatus, (try? String(contentsOf: outURL, encoding: .utf8)) ?? "")
}
