import Foundation
import TestSupport
import Testing

@Suite("Device commands against the emulated chip, the mock bootloader and esptool")
struct FlashCLITests {
    struct Files {
        let dir: String
        /// (address, path, bytes)
        let parts: [(Int, String, [UInt8])]
        let factory: [UInt8]
        var factoryPath: String { dir + "/factory.bin" }

        init(dir: String, chip: String, seed: UInt64) throws {
            self.dir = dir
            let bootOffset = chip == "esp32" ? 0x1000 : 0x0
            parts = [(bootOffset, dir + "/boot.bin", TestBytes.firmware(18_000, seed: seed)),
                     (0x8000, dir + "/part.bin", TestBytes.firmware(3_072, seed: seed + 1)),
                     (0x10000, dir + "/app.bin", TestBytes.firmware(150_000, seed: seed + 2))]
            for p in parts { try writeFile(p.2, p.1) }
            var image = [UInt8](repeating: 0xFF, count: 4 << 20)
            for (offset, length, s) in [(0x1000, 20_000, 1), (0x8000, 3_072, 2), (0x10000, 600_000, 3), (0x300000, 5_000, 4)] {
                image.replaceSubrange(offset..<(offset + length), with: TestBytes.firmware(length, seed: seed + UInt64(10 + s)))
            }
            factory = image
            try writeFile(image, dir + "/factory.bin")
        }

        var pairArguments: [String] { parts.flatMap { ["0x" + String($0.0, radix: 16), $0.1] } }

        func expectedAfterParts(size: Int = 4 << 20) -> [UInt8] {
            var flash = [UInt8](repeating: 0xFF, count: size)
            for p in parts { flash.replaceSubrange(p.0..<(p.0 + p.2.count), with: p.2) }
            return flash
        }
    }

    static func result(_ events: [[String: Any]]) -> [String: Any]? { events.last { $0["event"] as? String == "result" } }

    @Test("virtual://: write files and a 4 MB image, read back, skip on the second run, erase, verify", arguments: ["esp32", "esp32s3", "esp32c3"])
    func virtualRoundTrip(chip: String) throws {
        let dir = try CLI.temporaryDirectory()
        let files = try Files(dir: dir, chip: chip, seed: 40)
        let port = "virtual://\(chip)?flash=\(dir)/chip.bin"

        let first = try CLI.run(["write-flash", "-p", port, "--json"] + files.pairArguments)
        #expect(first.exitCode == 0, "\(first.stderr)")
        let events = try ndjsonEvents(first)
        let connect = try #require(events.first { $0["event"] as? String == "connect" })
        #expect(connect["chip"] as? String == chip)
        #expect(events.allSatisfy { $0["schema"] as? Int == 1 })
        #expect(events.contains { $0["event"] as? String == "progress" })
        let result = try #require(Self.result(events))
        #expect(result["ok"] as? Bool == true)
        let regions = try #require(result["regions"] as? [[String: Any]])
        #expect(regions.map { $0["status"] as? String } == ["verified", "verified", "verified"])
        #expect(Array(try CLI.read(dir + "/chip.bin")) == files.expectedAfterParts())

        let read = try CLI.run(["read-flash", "-p", port, "0", "ALL", dir + "/back.bin"])
        #expect(read.exitCode == 0, "\(read.stderr)")
        #expect(Array(try CLI.read(dir + "/back.bin")) == files.expectedAfterParts())

        let second = try CLI.run(["write-flash", "-p", port, "--json"] + files.pairArguments)
        let again = try #require(Self.result(try ndjsonEvents(second)))
        #expect((again["regions"] as? [[String: Any]])?.allSatisfy { $0["status"] as? String == "skipped" } == true)
        #expect((again["bytes_sent"] as? Int ?? .max) < 1_500)

        let big = try CLI.run(["write-flash", "-p", port, "0x0", files.factoryPath])
        #expect(big.exitCode == 0, "\(big.stderr)")
        #expect(big.stdoutText.contains("written and verified"))
        let readBig = try CLI.run(["read-flash", "-p", port, "0x0", "4MB", dir + "/big.bin"])
        #expect(readBig.exitCode == 0)
        #expect(Array(try CLI.read(dir + "/big.bin")) == files.factory)

        #expect(try CLI.run(["verify-flash", "-p", port, "0x0", files.factoryPath]).exitCode == 0)
        #expect(try CLI.run(["erase-region", "-p", port, "0x10000", "0x10000"]).exitCode == 0)
        let verify = try CLI.run(["verify-flash", "-p", port, "0x0", files.factoryPath])
        #expect(verify.exitCode == 1)
        #expect(verify.stderr.contains("differs"))
        let erase = try CLI.run(["erase-flash", "-p", port, "--json"])
        #expect(erase.exitCode == 0)
        #expect(Self.result(try ndjsonEvents(erase))?["ok"] as? Bool == true)
        #expect(try CLI.read(dir + "/chip.bin").allSatisfy { $0 == 0xFF })
    }

    @Test("board-info names the chip, MAC and flash; --json parses")
    func boardInfo() throws {
        let text = try CLI.run(["board-info", "-p", "virtual://esp32"])
        #expect(text.exitCode == 0)
        #expect(text.stdoutText.contains("ESP32 (revision v3.0)"))
        #expect(text.stdoutText.contains("manufacturer ef, device 4016, 4MB"))
        let json = try CLI.run(["board-info", "-p", "virtual://esp32s3?size=8MB", "--json"])
        let result = try #require(Self.result(try ndjsonEvents(json)))
        #expect(result["chip"] as? String == "esp32s3")
        #expect(result["flash_size"] as? Int == 8 << 20)
        #expect((result["security"] as? [String: Any])?["chip_id"] as? Int == 9)
    }

    @Test("bad input: files sharing a sector exit 2, an unopenable port 74, a wrong --chip 1")
    func errors() throws {
        let dir = try CLI.temporaryDirectory()
        try writeFile([1, 2, 3], dir + "/a.bin")
        let overlap = try CLI.run(["write-flash", "-p", "virtual://esp32", "0x1000", dir + "/a.bin", "0x1800", dir + "/a.bin"])
        #expect(overlap.exitCode == 2)
        #expect(overlap.stderr.contains("share a 4 KB sector"))
        let noPort = try CLI.run(["board-info", "-p", dir + "/no-such-tty"])
        #expect(noPort.exitCode == 74)
        let wrongChip = try CLI.run(["board-info", "-p", "virtual://esp32c3", "--chip", "esp32"])
        #expect(wrongChip.exitCode == 1)
        #expect(wrongChip.stderr.contains("not ESP32"))
        let missingFile = try CLI.run(["write-flash", "-p", "virtual://esp32", "0x1000", dir + "/missing.bin"])
        #expect(missingFile.exitCode == 74)
        let odd = try CLI.run(["write-flash", "-p", "virtual://esp32", "0x1000"])
        #expect(odd.exitCode == 64)
    }

    @Test("-fm/-ff/-fs patch the bootloader header and its SHA-256")
    func headerPatch() throws {
        let dir = try CLI.temporaryDirectory()
        // A minimal image: header (1 segment, hash appended), one 16-byte segment, padding, checksum, digest.
        // An ESP32-C3 image (chip id 5 at byte 12), so that the chip guard lets it through.
        var image: [UInt8] = [0xE9, 1, 0x00, 0x1F] + [UInt8](repeating: 0, count: 8) + [5] + [UInt8](repeating: 0, count: 10) + [1]
        image += [0, 0, 0, 0x40, 16, 0, 0, 0] + [UInt8](repeating: 0xAB, count: 16)
        while image.count % 16 != 15 { image.append(0) }
        image.append(0xEF)
        image += [UInt8](repeating: 0, count: 32)
        try writeFile(image, dir + "/boot.bin")
        let port = "virtual://esp32c3?flash=\(dir)/chip.bin"
        let run = try CLI.run(["write-flash", "-p", port, "-fm", "dio", "-ff", "40m", "-fs", "4MB", "0x0", dir + "/boot.bin"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let flash = Array(try CLI.read(dir + "/chip.bin").prefix(image.count))
        #expect(flash[2] == 2 && flash[3] == 0x20)
        #expect(Array(flash[0..<2]) == [0xE9, 1])
        #expect(Array(flash[(image.count - 32)...]) != Array(image[(image.count - 32)...]))  // digest recomputed
    }

    @Test("fault injection through the CLI: exit 0 only with the right flash, exit 1 with a per-region report")
    func cliFaults() throws {
        let dir = try CLI.temporaryDirectory()
        let files = try Files(dir: dir, chip: "esp32", seed: 90)
        var verified = 0
        for seed in 1...20 {
            try? FileManager.default.removeItem(atPath: dir + "/chip.bin")
            let faults = "corrupt-rx=0.01,drop-reply=0.01,seed=\(seed)" + (seed % 4 == 0 ? ",disconnect-after=150" : "")
            let run = try CLI.run(["write-flash", "-p", "virtual://esp32?flash=\(dir)/chip.bin"] + files.pairArguments,
                                  environment: ["ESPFLASH_VIRTUAL_FAULTS": faults])
            if run.exitCode == 0 {
                verified += 1
                let chip = Array(try CLI.read(dir + "/chip.bin"))
                for part in files.parts { #expect(Array(chip[part.0..<(part.0 + part.2.count)]) == part.2, "seed \(seed)") }
                // Outside the files only a garbled FLASH_BEGIN (no checksum) can have written, and then it was said.
                if chip != files.expectedAfterParts() { #expect(run.stderr.contains("did not hold what was sent"), "seed \(seed)") }
            } else {
                #expect(run.exitCode == 1, "seed \(seed): \(run.stderr)")
            }
        }
        #expect(verified >= 18)
        // Far too many faults: the run gives up and reports each region's state.
        let hopeless = try CLI.run(["write-flash", "-p", "virtual://esp32?flash=\(dir)/chip2.bin"] + files.pairArguments,
                                   environment: ["ESPFLASH_VIRTUAL_FAULTS": "drop-reply=0.2,seed=5"])
        #expect(hopeless.exitCode == 1)
        if hopeless.stderr.contains("failed at write") || hopeless.stderr.contains("failed at verify") {
            #expect(hopeless.stderr.contains("boot.bin"))
            #expect(hopeless.stderr.contains("app.bin"))
        } else {
            #expect(hopeless.stderr.contains("failed at connect"), "\(hopeless.stderr)")
        }
    }

    @Test("socket:// against `emulate`: write, skip, verify, read; faults and disconnects recovered")
    func emulateOverTCP() throws {
        let dir = try CLI.temporaryDirectory()
        let files = try Files(dir: dir, chip: "esp32c3", seed: 70)
        let (server, port) = try BackgroundProcess.emulator(chip: "esp32c3", flashFile: dir + "/chip.bin")
        let write = try CLI.run(["write-flash", "-p", port, "-b", "921600"] + files.pairArguments)
        #expect(write.exitCode == 0, "\(write.stderr)")
        #expect(write.stderr.contains("cannot change its baud rate"))
        let skip = try CLI.run(["write-flash", "-p", port, "--json"] + files.pairArguments)
        #expect((Self.result(try ndjsonEvents(skip))?["bytes_sent"] as? Int ?? .max) < 1_500)
        #expect(try CLI.run(["verify-flash", "-p", port] + files.pairArguments).exitCode == 0)
        let read = try CLI.run(["read-flash", "-p", port, "0x8000", "3072", dir + "/part-back.bin"])
        #expect(read.exitCode == 0)
        #expect(Array(try CLI.read(dir + "/part-back.bin")) == files.parts[1].2)
        let stats = server.stop()
        #expect(stats.contains("wire:"))
        #expect(Array(try CLI.read(dir + "/chip.bin")) == files.expectedAfterParts())

        for (seed, extra) in [(3, [String]()), (4, ["--fault", "disconnect-after=120"])] {
            try? FileManager.default.removeItem(atPath: dir + "/faulty.bin")
            let (faulty, faultyPort) = try BackgroundProcess.emulator(
                chip: "esp32", flashFile: dir + "/faulty.bin",
                extra: ["--fault", "corrupt-rx=0.01", "--fault", "drop-reply=0.01", "--fault", "seed=\(seed)"] + extra)
            let run = try CLI.run(["write-flash", "-p", faultyPort, "0x1000", files.parts[0].1, "0x10000", files.parts[2].1])
            faulty.stop()
            if run.exitCode == 0 {
                let flash = Array(try CLI.read(dir + "/faulty.bin"))
                #expect(Array(flash[0x1000..<(0x1000 + files.parts[0].2.count)]) == files.parts[0].2)
                #expect(Array(flash[0x10000..<(0x10000 + files.parts[2].2.count)]) == files.parts[2].2)
            } else {
                #expect(run.exitCode == 1, "\(run.stderr)")
            }
        }
    }

    @Test("esp32-mock-bootloader 0.3.0: write, verify and read round trip; esptool reads the same flash")
    func mockBootloader() throws {
        guard let mockBootloader = try ToolEnvironment.executable("esp32-mock-bootloader"),
              let esptool = try ToolEnvironment.executable("esptool") else { return }
        let dir = try CLI.temporaryDirectory()
        let files = try Files(dir: dir, chip: "esp32", seed: 120)
        let tcpPort = 20_000 + Int(getpid() % 20_000)
        let mock = try BackgroundProcess(mockBootloader, ["run", "--chip", "esp32", "--port", String(tcpPort)])
        defer { mock.stop(force: true) }
        try #require(BackgroundProcess.waitForPort(tcpPort))
        let port = "socket://127.0.0.1:\(tcpPort)"
        let write = try CLI.run(["write-flash", "-p", port, "--json"] + files.pairArguments)
        #expect(write.exitCode == 0, "\(write.stderr)")
        #expect(Self.result(try ndjsonEvents(write))?["ok"] as? Bool == true)
        #expect(try CLI.run(["verify-flash", "-p", port] + files.pairArguments).exitCode == 0)
        for (i, part) in files.parts.enumerated() {
            let ours = dir + "/ours\(i).bin", theirs = dir + "/theirs\(i).bin"
            let read = try CLI.run(["read-flash", "-p", port, "0x" + String(part.0, radix: 16), String(part.2.count), ours])
            #expect(read.exitCode == 0, "\(read.stderr)")
            #expect(Array(try CLI.read(ours)) == part.2)
            let esptoolRead = try runTool(esptool, ["--chip", "esp32", "-p", port, "--no-stub", "--before", "no-reset", "--after", "no-reset",
                                                    "read-flash", "0x" + String(part.0, radix: 16), String(part.2.count), theirs])
            #expect(esptoolRead.status == 0)
            #expect(Array(try CLI.read(theirs)) == part.2)
        }
    }
}
