import Foundation
import TestSupport
import Testing

/// The binary against emulated chips with hardware traits: a C2 with a 26 MHz crystal at 921600 baud under the
/// baud model (this tool and esptool), a Secure Download Mode S3 (this tool and esptool), a port that re-enumerates,
/// the 16 MB limit.
@Suite struct HardwareCLITests {
    static func app(_ dir: String, _ count: Int = 120_000, seed: UInt64 = 5) throws -> String {
        let path = dir + "/app-\(seed).bin"
        try writeFile(TestBytes.firmware(count, seed: seed), path)
        return path
    }

    static func regions(_ result: CLIResult) throws -> [[String: Any]] {
        try ndjsonEvents(result).last?["regions"] as? [[String: Any]] ?? []
    }

    /// The line runs at 921600 (the pty's rate, and the baud model's); the C2's ROM reaches it only if told
    /// 921600 × 40 / 26.
    @Test func c2WithA26MHzCrystalAt921600Baud() throws {
        let dir = try CLI.temporaryDirectory()
        let app = try Self.app(dir)
        var (emulator, port) = try BackgroundProcess.emulator(chip: "esp32c2", pty: true, flashFile: dir + "/flash.bin",
                                                             extra: ["--crystal", "26", "--baud-model", "921600"])
        let ours = try CLI.run(["write-flash", "-p", port, "-b", "921600", "--json", "0x10000", app])
        #expect(ours.exitCode == 0, "\(ours.stderr)")
        let connect = try ndjsonEvents(ours).first { $0["event"] as? String == "connect" }
        #expect(connect?["baud"] as? Int == 921_600)
        #expect(try Self.regions(ours).first?["status"] as? String == "verified")
        _ = emulator.stop()

        guard let esptool = try ToolEnvironment.executable("esptool") else { return }
        (emulator, port) = try BackgroundProcess.emulator(chip: "esp32c2", pty: true, flashFile: dir + "/flash2.bin",
                                                         extra: ["--crystal", "26", "--baud-model", "921600"])
        defer { emulator.stop() }
        let theirs = try runTool(esptool, ["-p", port, "-b", "921600", "--no-stub", "--before", "no-reset", "write-flash", "-z", "0x10000", app],
                                 mergingStderr: true)
        #expect(theirs.status == 0 && theirs.stdout.contains("Hash of data verified."), "\(theirs.stdout)")
    }

    /// Secure Download Mode: written with -fs, reported as not verifiable (exit 1 unless --no-verify accepts it);
    /// esptool 5.6.0 takes the emulated chip for one in that mode too.
    @Test func secureDownloadModeS3() throws {
        let dir = try CLI.temporaryDirectory()
        let app = try Self.app(dir, 30_000)
        let port = "virtual://esp32s3?secure-download-mode=1&flash=\(dir)/flash.bin"
        let strict = try CLI.run(["write-flash", "-p", port, "-fs", "4MB", "--json", "0x10000", app])
        #expect(strict.exitCode == 1)
        let result = try ndjsonEvents(strict).last
        #expect(result?["reason"] as? String == "not_verifiable" && result?["stage"] as? String == "verify")
        #expect(try Self.regions(strict).first?["status"] as? String == "unverifiable")
        #expect(!strict.stdoutText.contains("\"verified\""))
        let accepted = try CLI.run(["write-flash", "-p", port, "-fs", "4MB", "--no-verify", "0x10000", app])
        #expect(accepted.exitCode == 0 && accepted.stdoutText.contains("NOT verifiable"), "\(accepted.stdoutText)\(accepted.stderr)")
        let flash = try CLI.read(dir + "/flash.bin")
        #expect(flash[0x10000..<(0x10000 + 30_000)] == (try CLI.read(app)))

        guard let esptool = try ToolEnvironment.executable("esptool") else { return }
        let (emulator, socket) = try BackgroundProcess.emulator(chip: "esp32s3", flashFile: dir + "/flash2.bin", extra: ["--secure-download-mode"])
        defer { emulator.stop() }
        let theirs = try runTool(esptool, ["-p", socket, "--no-stub", "--before", "no-reset", "write-flash", "-fs", "4MB", "0x10000", app],
                                 mergingStderr: true)
        #expect(theirs.status == 0, "\(theirs.stdout)")
        #expect(theirs.stdout.contains("Secure Download Mode") || theirs.stdout.contains("secure download mode"), "\(theirs.stdout)")
        #expect(theirs.stdout.contains("Cannot verify written data"), "\(theirs.stdout)")
    }

    /// The pty vanishes part way (a USB port re-enumerating as its board resets) and comes back behind the same
    /// link; the chip is back in its ROM at 115200. The write reopens the path, re-syncs, restores the baud rate and
    /// flash set-up, resumes, and ends verified.
    @Test func aReEnumeratingPortIsReopened() throws {
        let dir = try CLI.temporaryDirectory()
        let app = try Self.app(dir, 200_000, seed: 8)
        let link = dir + "/ttyESP"
        let (emulator, port) = try BackgroundProcess.emulator(chip: "esp32s3", pty: true, flashFile: dir + "/flash.bin",
                                                             extra: ["--pty-link", link, "--fault", "reenumerate-after=60"])
        #expect(port == link)
        let result = try CLI.run(["write-flash", "-p", link, "-b", "460800", "--json", "0x10000", app])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let events = try ndjsonEvents(result)
        #expect(events.contains { $0["event"] as? String == "port_reopened" }, "\(result.stdoutText)")
        #expect(try Self.regions(result).first?["status"] as? String == "verified")
        let log = emulator.stop()
        #expect(log.contains("reenumerate") || FileManager.default.fileExists(atPath: dir + "/flash.bin"))
        #expect((try CLI.read(dir + "/flash.bin"))[0x10000..<(0x10000 + 200_000)] == (try CLI.read(app)))
    }

    /// A 32 MB chip: the ROM cannot reach 16 MB and above; the write is refused before anything is sent.
    @Test func writeAtSixteenMegabytesOnA32MBChipIsRefused() throws {
        let dir = try CLI.temporaryDirectory()
        let app = try Self.app(dir, 4096)
        let result = try CLI.run(["write-flash", "-p", "virtual://esp32s3?size=32MB", "--json", "0x1000000", app])
        #expect(result.exitCode == 2)
        let last = try ndjsonEvents(result).last
        #expect(last?["stage"] as? String == "check" && (last?["error"] as? String)?.contains("past 16 MB") == true)
        #expect(try Self.regions(result).allSatisfy { $0["status"] as? String == "pending" })
    }
}
