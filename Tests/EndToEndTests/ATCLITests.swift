import Foundation
import ImageFormats
import TestSupport
import Testing

/// The AT side end to end, as scripts/demo.sh does it: build an AT factory image with this tool, flash it into an
/// emulated chip in download mode, then talk to the AT firmware that chip boots (`virtual://CHIP?flash=FILE`).
@Suite struct ATCLITests {
    /// The demo's factory image for `chip`, built with the tool: main table, at_customize.bin, ble_data, server
    /// certificate/key/CA, factory_param, merged with the chip's bootloader and a stand-in AT app with an app
    /// description, then written into `chip.bin` through download mode.
    struct Module {
        var dir: String
        var chip: String
        var flash: String
        var port: String
        var atCustomize: String
        var bleOffset: Int
        var mac: String
    }

    static let version = "v2.4.0.0-standin"

    static func flashedModule(_ chip: String) throws -> Module {
        let dir = try CLI.temporaryDirectory()
        let ex = CLI.fixture("esp-at/worked-example")
        let isC3 = chip == "esp32c3"
        let mainCSV = isC3 ? CLI.fixture("esp-at/esp32c3-v2.4/partitions_at.csv") : CLI.fixture("partition/at_customize/in/partitions_at_master_esp32.csv")
        let customCSV = isC3 ? CLI.fixture("esp-at/esp32c3-v2.4/at_customize.csv") : ex + "/at_customize.csv"
        func tool(_ args: [String]) throws {
            let r = try CLI.run(args, cwd: dir)
            guard r.exitCode == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(args.prefix(2)): \(r.stderr)"]) }
        }
        try tool(["partition-table", mainCSV, "-o", "partition-table.bin", "--disable-md5sum", "--flash-size", "4MB"])
        try tool(["partition-table", customCSV, "-o", "at_customize.bin"])
        try tool(["ble-service", "build", ex + "/ble_services.csv", "-o", "ble_data.bin", "--partition-size", isC3 ? "24K" : "12K"])
        try tool(["pki", "build", "-o", "server_cert.bin", "cert", ex + "/server.crt"])
        try tool(["pki", "build", "-o", "server_key.bin", "key", ex + "/server.key"])
        try tool(["pki", "build", "-o", "server_ca.bin", "ca", ex + "/ca.crt"])
        try tool(["factory-param", "build", "--types", ex + "/factory_param_type.csv", "--data", ex + "/factory_param_data.csv",
                  "--platform", isC3 ? "PLATFORM_ESP32C3" : "PLATFORM_ESP32", "--module", isC3 ? "MINI-1" : "WROOM-32", "-o", "factory_param.bin"])
        let app = TestAppImage.build(chip: isC3 ? .esp32c3 : .esp32, version: version, idfVersion: "v4.3.2-553-g588436db47")
        try writeFile(app, dir + "/esp-at.bin")
        let bootloader = CLI.fixture(isC3 ? "images/bootloader_esp32c3.bin" : "images/bootloader_esp32.bin")
        let pairs = isC3
            ? ["0x0", bootloader, "0x8000", "partition-table.bin", "0x1e000", "at_customize.bin", "0x1f000", "ble_data.bin",
               "0x25000", "server_cert.bin", "0x27000", "server_key.bin", "0x29000", "server_ca.bin", "0x31000", "factory_param.bin",
               "0x60000", "esp-at.bin"]
            : ["0x1000", bootloader, "0x8000", "partition-table.bin", "0x20000", "at_customize.bin", "0x21000", "ble_data.bin",
               "0x24000", "server_cert.bin", "0x26000", "server_key.bin", "0x28000", "server_ca.bin", "0x30000", "factory_param.bin",
               "0x100000", "esp-at.bin"]
        try tool(["merge-bin", "--chip", chip, "-o", "factory.bin", "--pad-to-size", "4MB", "-fm", "dio", "-ff", "40m", "-fs", "4MB",
                  "--layout", "partition-table.bin", "--layout", "at_customize.bin"] + pairs)
        let port = "virtual://\(chip)?flash=\(dir)/chip.bin"
        try tool(["write-flash", "-p", port, "0x0", "factory.bin"])
        let mac = isC3 ? "24:0a:c4:5e:00:03" : "24:0a:c4:5e:00:01"
        return Module(dir: dir, chip: chip, flash: dir + "/chip.bin", port: port, atCustomize: dir + "/at_customize.bin",
                      bleOffset: isC3 ? 0x1F000 : 0x21000, mac: mac)
    }

    static func json(_ r: CLIResult) throws -> [String: Any] {
        try #require(try ndjsonEvents(r).last { $0["event"] as? String == "result" })
    }

    @Test(arguments: ["esp32", "esp32c3"])
    func probeListWriteReadAndTest(chip: String) throws {
        let m = try Self.flashedModule(chip)
        defer { try? FileManager.default.removeItem(atPath: m.dir) }

        // The MAC download mode reads is the one AT reports.
        let info = try CLI.run(["board-info", "-p", m.port, "--json"])
        #expect(info.exitCode == 0, "\(info.stderr)")
        #expect(try Self.json(info)["mac"] as? String == m.mac)

        let probe = try CLI.run(["at", "probe", "-p", m.port, "--json"])
        #expect(probe.exitCode == 0, "\(probe.stderr)")
        let probed = try Self.json(probe)
        #expect(probed["at_version"] as? String == Self.version)
        #expect(probed["sdk_version"] as? String == "v4.3.2-553-g588436db47")
        #expect(probed["module"] as? String == (chip == "esp32c3" ? "MINI-1" : "WROOM-32"))

        // at sysflash list equals the at_customize.bin entries.
        let list = try CLI.run(["at", "sysflash", "list", "-p", m.port, "--json"])
        #expect(list.exitCode == 0, "\(list.stderr)")
        let listed = try #require(try Self.json(list)["partitions"] as? [[String: Any]])
        let table = try PartitionTable.decode(Array(CLI.read(m.atCustomize))).table.entries
        #expect(listed.count == table.count)
        for (row, entry) in zip(listed, table) {
            #expect(row["name"] as? String == entry.name)
            #expect(row["type"] as? Int == Int(entry.type))
            #expect(row["subtype"] as? Int == Int(entry.subtype))
            #expect(row["address"] as? Int == Int(entry.offset))
            #expect(row["size"] as? Int == Int(entry.size))
        }

        // sysflash write, then read-flash in download mode: the new bytes at the partition's offset, the rest of
        // the erased sectors 0xFF.
        let new = TestBytes.firmware(5000, seed: chip == "esp32" ? 11 : 12)
        try writeFile(new, m.dir + "/NEW.bin")
        let write = try CLI.run(["at", "sysflash", "write", "-p", m.port, "ble_data", m.dir + "/NEW.bin"])
        #expect(write.exitCode == 0, "\(write.stderr)")
        let readFlash = try CLI.run(["read-flash", "-p", m.port, String(format: "0x%x", m.bleOffset), "0x2000", m.dir + "/dl.bin"])
        #expect(readFlash.exitCode == 0, "\(readFlash.stderr)")
        let downloaded = Array(try CLI.read(m.dir + "/dl.bin"))
        #expect(Array(downloaded.prefix(new.count)) == new)
        #expect(downloaded[new.count...].allSatisfy { $0 == 0xFF }, "the rest of the erased sectors reads 0xFF")

        // A write at an unaligned offset keeps what its first sector held before it.
        try writeFile([0xA5, 0x5A], m.dir + "/two.bin")
        let unaligned = try CLI.run(["at", "sysflash", "write", "-p", m.port, "ble_data", m.dir + "/two.bin", "--offset", "0x1ffe"])
        #expect(unaligned.exitCode == 0, "\(unaligned.stderr)")
        #expect(try CLI.run(["read-flash", "-p", m.port, String(format: "0x%x", m.bleOffset), "0x2000", m.dir + "/dl2.bin"]).exitCode == 0)
        #expect(Array(try CLI.read(m.dir + "/dl2.bin")) == Array(downloaded.prefix(0x1ffe)) + [0xA5, 0x5A])

        // at sysflash read gives the same bytes.
        let read = try CLI.run(["at", "sysflash", "read", "-p", m.port, "ble_data", "--length", "5000", "-o", m.dir + "/at.bin"])
        #expect(read.exitCode == 0, "\(read.stderr)")
        #expect(Array(try CLI.read(m.dir + "/at.bin")) == new)

        // at test passes, then fails for a wrong version, a wrong MAC and a different layout.
        let good = ["at", "test", "-p", m.port, "--expect-version", Self.version, "--layout", m.atCustomize, "--expect-mac", m.mac, "--json"]
        let pass = try CLI.run(good)
        #expect(pass.exitCode == 0, "\(pass.stdoutText) \(pass.stderr)")
        #expect(try Self.json(pass)["ok"] as? Bool == true)
        let checks = try #require(try Self.json(pass)["checks"] as? [[String: Any]])
        #expect(checks.map { $0["name"] as? String } == ["ready", "at", "version", "layout", "mac", "uart"])

        var wrongVersion = good
        wrongVersion[wrongVersion.firstIndex(of: Self.version)!] = "v2.3.0.0"
        try expectFailedCheck(wrongVersion, "version")
        var wrongMAC = good
        wrongMAC[wrongMAC.firstIndex(of: m.mac)!] = "24:0a:c4:00:00:99"
        try expectFailedCheck(wrongMAC, "mac")
        // A layout that differs: the same CSV with ble_data 4 KB smaller.
        let csv = try String(contentsOfFile: chip == "esp32c3" ? CLI.fixture("esp-at/esp32c3-v2.4/at_customize.csv")
                                                             : CLI.fixture("esp-at/worked-example/at_customize.csv"), encoding: .utf8)
        let changed = csv.replacingOccurrences(of: chip == "esp32c3" ? "0x1F000, 24K" : "0x21000,12K", with: chip == "esp32c3" ? "0x1F000, 20K" : "0x21000,8K")
        #expect(changed != csv)
        try changed.write(toFile: m.dir + "/other.csv", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["partition-table", m.dir + "/other.csv", "-o", m.dir + "/other.bin"]).exitCode == 0)
        var wrongLayout = good
        wrongLayout[wrongLayout.firstIndex(of: m.atCustomize)!] = m.dir + "/other.bin"
        try expectFailedCheck(wrongLayout, "layout")
    }

    private func expectFailedCheck(_ arguments: [String], _ name: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.exitCode == 1, "\(r.stdoutText)")
        let result = try Self.json(r)
        #expect(result["ok"] as? Bool == false)
        #expect(result["failed"] as? [String] == [name])
    }

    /// Every refusal leaves every flash byte as it was.
    @Test func refusalsChangeNoFlashByte() throws {
        let m = try Self.flashedModule("esp32")
        defer { try? FileManager.default.removeItem(atPath: m.dir) }
        let before = try CLI.read(m.flash)
        try writeFile([UInt8](repeating: 0x42, count: 0x3001), m.dir + "/big.bin")
        try writeFile([UInt8](repeating: 0x42, count: 16), m.dir + "/small.bin")
        let refused: [[String]] = [
            ["at", "sysflash", "write", "-p", m.port, "ble_data", m.dir + "/big.bin"],                      // larger than 12K
            ["at", "sysflash", "write", "-p", m.port, "ble_data", m.dir + "/small.bin", "--offset", "0x3000"],  // past the end
            ["at", "sysflash", "write", "-p", m.port, "no_such_partition", m.dir + "/small.bin"],
            ["at", "sysflash", "erase", "-p", m.port, "ble_data", "--offset", "0x800", "--length", "0x1000"],
            ["at", "sysflash", "erase", "-p", m.port, "ble_data", "--offset", "0x1000", "--length", "0x800"],
            ["at", "sysflash", "erase", "-p", m.port, "ble_data", "--offset", "0x1000"],
            ["at", "sysflash", "erase", "-p", m.port, "ble_data", "--offset", "0x2000", "--length", "0x2000"],  // past the end
            ["at", "sysflash", "erase", "-p", m.port, "no_such_partition"],
            ["at", "sysflash", "read", "-p", m.port, "ble_data", "--offset", "0x3000", "--length", "1", "-o", m.dir + "/x.bin"],
        ]
        for arguments in refused {
            let r = try CLI.run(arguments)
            #expect(r.exitCode == 2, "\(arguments): \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: "), "\(arguments)")
            #expect(try CLI.read(m.flash) == before, "\(arguments) changed the flash")
        }
        #expect(!FileManager.default.fileExists(atPath: m.dir + "/x.bin"))
    }

    /// A module whose factory_param sets another baud rate answers only at that rate; a blank chip does not boot.
    @Test func baudRateAndBlankChip() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let blank = try CLI.run(["at", "probe", "-p", "virtual://esp32?flash=\(dir)/blank.bin"])
        #expect(blank.exitCode == 1)
        #expect(blank.stderr.contains("does not boot"), "\(blank.stderr)")

        let m = try Self.flashedModule("esp32")
        defer { try? FileManager.default.removeItem(atPath: m.dir) }
        var param = Array(try CLI.read(m.dir + "/factory_param.bin"))
        param[12...15] = [0x00, 0x10, 0x0E, 0x00]  // 921600
        try writeFile(param, m.dir + "/fp921600.bin")
        #expect(try CLI.run(["at", "sysflash", "write", "-p", m.port, "factory_param", m.dir + "/fp921600.bin"]).exitCode == 0)
        // Powered on again, the firmware reads the new factory_param: at 115200 nothing understands it.
        let slow = try CLI.run(["at", "probe", "-p", m.port])
        #expect(slow.exitCode == 1, "\(slow.stdoutText)")
        #expect(slow.stderr.contains("no answer"), "\(slow.stderr)")
        let fast = try CLI.run(["at", "test", "-p", m.port, "--baud", "921600", "--json"])
        #expect(fast.exitCode == 0, "\(fast.stdoutText) \(fast.stderr)")
    }
}

/// `emulate --at-listen`: the AT UART on TCP, a module powered on per connection, `--fault` on the AT replies.
@Suite struct ATServedTests {
    @Test func atListenWithFaults() throws {
        let m = try ATCLITests.flashedModule("esp32")
        defer { try? FileManager.default.removeItem(atPath: m.dir) }
        func serve(_ faults: [String]) throws -> (BackgroundProcess, String) {
            let portFile = m.dir + "/at-\(UUID().uuidString).txt"
            let p = try BackgroundProcess(CLI.binary, ["emulate", "--chip", "esp32", "--flash", m.flash, "--at-listen", "127.0.0.1:0",
                                                       "--at-port-file", portFile] + faults.flatMap { ["--fault", $0] })
            return (p, try BackgroundProcess.waitForFile(portFile, while: p))
        }
        // Lost replies cost retries, not the test.
        let (lossy, port) = try serve(["drop-reply=0.15", "seed=5"])
        let test = try CLI.run(["at", "test", "-p", port, "--expect-version", ATCLITests.version, "--layout", m.atCustomize,
                                "--expect-mac", m.mac, "--json"])
        let log = lossy.stop()
        #expect(test.exitCode == 0, "\(test.stdoutText) \(test.stderr) \(log)")
        #expect(test.stdoutText.contains("\"event\":\"retry\"") || log.contains("drop-reply"), "\(log)")
        #expect(log.contains("AT wire:"), "\(log)")

        // The connection closes after the first reply: a clear failure, exit 1.
        let (closing, port2) = try serve(["disconnect-after=1"])
        let probe = try CLI.run(["at", "probe", "-p", port2])
        closing.stop()
        #expect(probe.exitCode == 1, "\(probe.stdoutText)")
        #expect(probe.stderr.hasPrefix("error: "), "\(probe.stderr)")
    }
}
