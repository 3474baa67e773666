import Foundation
import TestSupport
import Testing

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

    /// SIGTERM (or SIGKILL when `force`: a child of the test runner may inherit SIGTERM blocked), wait, and
    /// return what it wrote to stderr.
    @discardableResult
    func stop(force: Bool = false) -> String {
        if process.isRunning { force ? _ = kill(process.processIdentifier, SIGKILL) : process.terminate() }
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: stderrURL) }
        return (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
    }

    /// Waits until `path` holds a line (emulate --port-file).
    static func waitForFile(_ path: String, seconds: Double = 20) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            usleep(20_000)
        }
        throw CocoaError(.fileNoSuchFile)
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

/// Seeded test data compressible like firmware.
enum TestBytes {
    static func firmware(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            let r = rng.next()
            if r % 4 == 0, out.count > 64 {
                let length = Int((r >> 8) % 24) + 4
                let from = Int((r >> 16) % UInt64(out.count - 32))
                for i in 0..<length where out.count < count { out.append(out[from + min(i, 31)]) }
            } else {
                out.append(UInt8(truncatingIfNeeded: (r >> 24) % 64 + (r % 3 == 0 ? 0x20 : 0)))
            }
        }
        return out
    }
}

/// The NDJSON lines of a device command, parsed.
func ndjsonEvents(_ result: CLIResult) throws -> [[String: Any]] {
    try result.stdoutText.split(separator: "\n").map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CocoaError(.coderInvalidValue)
        }
        return object
    }
}

func writeFile(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
