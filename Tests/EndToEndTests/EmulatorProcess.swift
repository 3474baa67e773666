import Foundation

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
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
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
