import Foundation
import TestSupport

/// A server process (emulate, the mock bootloader) running for one test.
final class BackgroundProcess {
    let process = Process()
    let stderrURL: URL

    init(_ executable: String, _ arguments: [String]) throws {
        stderrURL = FileManager.default.temporaryDirectory.appendingPathComponent("espflash-bg-" + UUID().uuidString)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { if process.isRunning { process.terminate() } }

    /// Starts `espflash-swift emulate --chip CHIP` on 127.0.0.1:0 (or a new pty) with `--flash FILE`, and waits
    /// for the port it writes to its `--port-file`. `stop()` makes it save the flash file and returns its stderr
    /// (the wire statistics).
    static func emulator(chip: String, pty: Bool = false, rfc2217: Bool = false, flashFile: String,
                         extra: [String] = []) throws -> (process: BackgroundProcess, port: String) {
        let portFile = (flashFile as NSString).deletingLastPathComponent + "/port-\(UUID().uuidString).txt"
        let endpoint = pty ? ["--pty"] : rfc2217 ? ["--rfc2217", "127.0.0.1:0"] : ["--listen", "127.0.0.1:0"]
        let process = try BackgroundProcess(CLI.binary, ["emulate", "--chip", chip] + endpoint
                                            + ["--port-file", portFile, "--flash", flashFile] + extra)
        return (process, try waitForFile(portFile, while: process))
    }

    /// SIGTERM (or SIGKILL when `force`: a child of the test runner may inherit SIGTERM blocked), wait, and
    /// return what it wrote to stderr.
    @discardableResult
    func stop(force: Bool = false) -> String {
        if process.isRunning { force ? _ = kill(process.processIdentifier, SIGKILL) : process.terminate() }
        // SIGTERM may be blocked (see above) or the process stuck: SIGKILL after 20 s rather than waiting for ever.
        process.stop(within: 20)
        defer { try? FileManager.default.removeItem(at: stderrURL) }
        return (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
    }

    /// Waits until `path` holds a line (emulate --port-file); gives up early when `process` exits.
    static func waitForFile(_ path: String, seconds: Double = 20, while process: BackgroundProcess? = nil) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, process?.process.isRunning ?? true {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            usleep(20_000)
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "no line in \(path)" + (process.map { " (process exited: \($0.stop()))" } ?? "")])
    }

    /// Waits until something accepts TCP connections on `port`.
    static func waitForPort(_ port: Int, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
            let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
            close(fd)
            if ok { return true }
            usleep(100_000)
        }
        return false
    }
}
