import Foundation
import TestSupport
import Testing

/// esptool 5.6.0's advanced commands against `espflash-swift emulate`, and this tool's against the same chip: the
/// emulated ROM answers esptool's own register sequences (run_spiflash_command for status and SFDP, READ_REG and
/// WRITE_REG for memory, MEM_BEGIN/DATA/END for load-ram), and both tools read the same values.
@Suite(.enabled(if: ToolEnvironment.available("esptool")))
struct EsptoolAdvancedConformanceTests {
    @Test("status register, SFDP, memory words and dumps: esptool and espflash-swift agree on one emulated ESP32", arguments: ["esp32", "esp32c3"])
    func sameAnswers(chip: String) throws {
        let esptool = try #require(try ToolEnvironment.executable("esptool"))
        let dir = try CLI.temporaryDirectory()
        let (emulator, port) = try BackgroundProcess.emulator(chip: chip, flashFile: dir + "/flash.bin")
        defer { emulator.stop() }
        func esp(_ args: [String]) throws -> String {
            let ran = try runTool(esptool, ["-p", port, "--no-stub", "--before", "no-reset", "--after", "no-reset"] + args, mergingStderr: true)
            #expect(ran.status == 0, "esptool \(args): \(ran.stdout)")
            return ran.stdout
        }
        func ours(_ args: [String]) throws -> String {
            let ran = try CLI.run(["-p", port] + args)
            #expect(ran.exitCode == 0, "\(args): \(ran.stderr)")
            return ran.stdoutText
        }
        #expect(try esp(["read-flash-status", "--bytes", "3"]).contains("Flash memory status: 0x600200"))
        #expect(try ours(["read-flash-status", "--bytes", "3"]).contains("Flash memory status: 0x600200"))
        // esptool writes (WEVSR + 16-bit WRSR, then WRSR/WRSR2 with WEVSR, WRDI); ours reads what it left.
        let written = try esp(["write-flash-status", "--bytes", "2", "0x001C"])
        #expect(written.contains("After flash memory status:   0x001c"), "\(written)")
        #expect(try ours(["read-flash-status", "--bytes", "2"]).contains("Flash memory status: 0x001c"))
        let ourWrite = try ours(["write-flash-status", "--bytes", "2", "--non-volatile", "0x0200"])
        #expect(ourWrite.contains("After flash memory status:   0x0200"), "\(ourWrite)")
        #expect(try esp(["read-flash-status", "--bytes", "2"]).contains("Flash memory status: 0x0200"))

        for (address, count) in [(0, 4), (12, 4), (0x84, 4)] {
            let theirs = try esp(["read-flash-sfdp", String(address), String(count)])
            let mine = try ours(["read-flash-sfdp", String(address), String(count)])
            let line = { (text: String) in text.split(separator: "\n").first { $0.contains("SFDP[") }.map { $0.trimmingCharacters(in: .whitespaces) } }
            #expect(line(theirs) != nil && line(theirs) == line(mine), "SFDP at \(address): \(theirs) vs \(mine)")
        }

        let ram = chip == "esp32" ? "0x3ffb0000" : "0x3fc90000"
        #expect(try esp(["write-mem", ram, "0x12345678", "0x00FFFF00"]).contains("Wrote 0x12345678 with mask 0x00ffff00"))
        #expect(try ours(["read-mem", ram]).contains("= 0x00345600"), "esptool's masked write is in RAM")
        #expect(try ours(["write-mem", ram, "0xcafef00d"]).contains("it reads 0xcafef00d"))
        #expect(try esp(["read-mem", ram]).contains("= 0xcafef00d"))
        _ = try esp(["dump-mem", "0x40000000", "0x400", dir + "/theirs.bin"])
        _ = try ours(["dump-mem", "0x40000000", "0x400", dir + "/ours.bin"])
        #expect(try CLI.read(dir + "/theirs.bin") == CLI.read(dir + "/ours.bin"))
        #expect(try esp(["chip-id"]).contains("MAC:"))
        if chip != "esp32" {
            #expect(try esp(["get-security-info"]).contains("Chip ID: 5"))
        }
    }

    @Test("esptool's load-ram: the emulated ESP32 takes both segments and runs the entry point; then its loader is gone")
    func esptoolLoadRAM() throws {
        let esptool = try #require(try ToolEnvironment.executable("esptool"))
        let dir = try CLI.temporaryDirectory()
        let (emulator, port) = try BackgroundProcess.emulator(chip: "esp32", flashFile: dir + "/flash.bin", extra: ["--log", dir + "/frames.log"])
        let ran = try runTool(esptool, ["-p", port, "--no-stub", "--before", "no-reset", "load-ram", CLI.fixture("images/ram_helloworld/helloworld-esp32.bin")],
                              mergingStderr: true)
        #expect(ran.status == 0, "\(ran.stdout)")
        #expect(ran.stdout.contains("executing at 0x4008c008"), "\(ran.stdout)")
        let after = try CLI.run(["read-mac", "-p", port, "--connect-attempts", "1"])
        #expect(after.exitCode == 1, "the chip runs the program, not its loader")
        emulator.stop()
        let log = (try? String(contentsOfFile: dir + "/frames.log", encoding: .utf8)) ?? ""
        #expect(log.contains("RX MEM_BEGIN") && log.contains("RX MEM_END"), "\(log.suffix(500))")
    }
}
