import Foundation
import ImageFormats
import TestSupport
import Testing

/// `emulate --rfc2217`: the chip sits behind the auto-reset circuit and powers on from its (blank) flash. esptool
/// 5.6.0 with its defaults (`--before default-reset --after hard-reset`, only `--no-stub`: the emulator runs no
/// stub) and this tool reset it into download mode, write a bootloader, partition table and app, and reset it
/// into the written app, whose start the emulator reports.
/// The chips run in parallel: esptool over pyserial's rfc2217 spends ~0.2 s per command re-sending the port
/// settings (every timeout change reconfigures the port), so each run is mostly waiting.
@Suite(.enabled(if: ToolEnvironment.available("esptool")))
struct RFC2217ResetCLITests {
    static let chips = ["esp32", "esp32s3", "esp32c3"]

    /// The files of a bootable chip written to `dir`, as `ADDR FILE` arguments.
    static func files(_ chip: String, in dir: String) throws -> [String] {
        let flash = BootableFlash(chip: Chip(rawValue: chip)!, version: "v7.7.\(chip.count)")
        var arguments: [String] = []
        for (i, file) in flash.files.enumerated() {
            let path = dir + "/part\(i).bin"
            try writeFile(file.data, path)
            arguments += [String(format: "0x%x", file.address), path]
        }
        return arguments
    }

    @Test(arguments: chips)
    func esptoolResetsFlashesAndBootsTheApp(_ chip: String) throws {
        let esptool = try #require(ToolEnvironment.esptool)
        let dir = try CLI.temporaryDirectory()
        let files = try Self.files(chip, in: dir)
        var (emulator, port) = try BackgroundProcess.emulator(chip: chip, rfc2217: true, flashFile: dir + "/flash.bin")
        let id = try runTool(esptool, ["-p", port, "--no-stub", "flash-id"], mergingStderr: true, timeout: 120)
        #expect(id.status == 0 && id.stdout.contains("Detected flash size: 4MB"), "\(id.stdout)")
        #expect(id.stdout.contains("Hard resetting via RTS pin"))
        let write = try runTool(esptool, ["-p", port, "--no-stub", "write-flash", "-z"] + files, mergingStderr: true, timeout: 300)
        #expect(write.status == 0, "\(write.stdout)")
        #expect(write.stdout.components(separatedBy: "Hash of data verified.").count - 1 == 3, "\(write.stdout)")
        Thread.sleep(forTimeInterval: 0.3)
        let log = emulator.stop()
        // Power-on from a blank flash loops; each connect enters download mode; the hard reset boots the app.
        #expect(log.contains("boot loop"), "\(log)")
        #expect(log.contains("download mode"), "\(log)")
        #expect(log.components(separatedBy: "\n").last { $0.hasPrefix("boot") }?.contains("app in factory started (hw-test v7.7.\(chip.count))") == true, "\(log)")

        // The same with this tool, on the chip as esptool left it (running its app).
        (emulator, port) = try BackgroundProcess.emulator(chip: chip, rfc2217: true, flashFile: dir + "/flash.bin")
        let ours = try CLI.run(["write-flash", "-p", port, "-b", "460800", "--no-skip", "--json"] + files)
        #expect(ours.exitCode == 0, "\(ours.stderr)")
        let events = try ndjsonEvents(ours)
        #expect(events.last?["regions"].map { ($0 as! [[String: Any]]).allSatisfy { $0["status"] as? String == "verified" } } == true)
        #expect(events.first { $0["event"] as? String == "connect" }?["baud"] as? Int == 460_800)
        Thread.sleep(forTimeInterval: 0.3)
        let ourLog = emulator.stop()
        let boots = ourLog.components(separatedBy: "\n").filter { $0.hasPrefix("boot") }
        #expect(boots.first?.contains("app in factory started") == true, "\(ourLog)")  // powered on into the app
        #expect(boots.dropFirst().first?.contains("download mode") == true, "\(ourLog)")
        #expect(boots.last?.contains("app in factory started (hw-test v7.7.\(chip.count))") == true, "\(ourLog)")
    }

    /// Over a raw server (ser2net: each SET-CONTROL as it arrives) this tool's classic sequence still enters
    /// download mode: it sends the line changes without waiting, so EN's RC outlasts the window. A reset that
    /// leaves IO0 high is diagnosed from the ROM's boot log, not reported as silence.
    @Test func thisToolResetsThroughARawServerAndReadsTheBootLog() throws {
        let dir = try CLI.temporaryDirectory()
        let (emulator, port) = try BackgroundProcess.emulator(chip: "esp32c3", rfc2217: true, flashFile: dir + "/flash.bin",
                                                             extra: ["--rfc2217-raw"])
        defer { emulator.stop() }
        let info = try CLI.run(["board-info", "-p", port])
        #expect(info.exitCode == 0, "\(info.stderr)")
        // A "reset" that never pulls IO0 low: the chip boots its (blank) flash, and the error says so.
        let wrong = try CLI.run(["board-info", "-p", port, "--connect-attempts", "2", "--custom-reset-sequence", "R1|W0.05|R0|W0.1"])
        #expect(wrong.exitCode == 1)
        #expect(wrong.stderr.contains("wrong boot mode detected (boot:0x8)"), "\(wrong.stderr)")
    }
}
