import Foundation
import TestSupport
import Testing

/// esptool 5.6.0, the reference client, against `espflash-swift emulate`: it must take the emulated ROM for a
/// real chip (--no-stub --before no-reset), over socket:// and over the pty.
@Suite(.enabled(if: ToolEnvironment.available("esptool")))
struct EsptoolConformanceTests {
    struct Setup: CustomTestStringConvertible, Sendable {
        var chip: String
        var pty: Bool
        var mac: String
        var testDescription: String { "\(chip) over \(pty ? "pty" : "socket://")" }
    }

    static let setups: [Setup] = [("esp32", "24:0a:c4:5e:00:01"), ("esp32s3", "24:0a:c4:5e:00:02"), ("esp32c3", "24:0a:c4:5e:00:03")]
        .flatMap { chip, mac in [Setup(chip: chip, pty: false, mac: mac), Setup(chip: chip, pty: true, mac: mac)] }

    /// Deterministic test data: random-looking (incompressible) or patterned (compressible).
    static func data(_ count: Int, seed: UInt64, compressible: Bool = false) -> Data {
        var state = seed
        return Data((0..<count).map { i in
            if compressible { return UInt8(truncatingIfNeeded: i / 97) }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        })
    }

    @Test(arguments: setups)
    func esptoolFlashesVerifiesAndReadsTheEmulatedChip(_ setup: Setup) throws {
        let esptool = try #require(ToolEnvironment.esptool, "esptool missing: run scripts/python-env.sh")
        let dir = try CLI.temporaryDirectory()
        let flash = dir + "/flash.bin"
        // Unaligned sizes; one file past 2 MB (needs SPI_SET_PARAMS); one compressible for -z.
        let files: [(address: Int, name: String, data: Data, compressed: Bool)] = [
            (0x9000, "table.bin", Self.data(3_072, seed: 1), false),
            (0x10000, "app.bin", Self.data(100_001, seed: 2), false),
            (0x300000, "high.bin", Self.data(5_555, seed: 3), false),
            (0x100000, "packed.bin", Self.data(70_003, seed: 4, compressible: true), true),
        ]
        for f in files { try f.data.write(to: URL(fileURLWithPath: dir + "/" + f.name)) }

        var (emulator, port) = try BackgroundProcess.emulator(chip: setup.chip, pty: setup.pty, flashFile: flash)
        func esp(_ args: [String]) throws -> (code: Int32, output: String) {
            let ran = try runTool(esptool, ["--chip", "auto", "-p", port, "--no-stub", "--before", "no-reset", "--after", "no-reset"] + args,
                                  mergingStderr: true)
            return (ran.status, ran.stdout)
        }

        let id = try esp(["flash-id"])
        #expect(id.code == 0, "\(id.output)")
        #expect(id.output.contains("Manufacturer: ef") && id.output.contains("Detected flash size: 4MB"), "\(id.output)")
        let mac = try esp(["read-mac"])
        #expect(mac.code == 0 && mac.output.contains("MAC:                \(setup.mac)") || mac.output.contains(setup.mac), "\(mac.output)")

        let plain = files.filter { !$0.compressed }.flatMap { [String(format: "0x%x", $0.address), dir + "/" + $0.name] }
        let write = try esp(["write-flash", "-u"] + plain)
        #expect(write.code == 0, "\(write.output)")
        #expect(write.output.components(separatedBy: "Hash of data verified.").count - 1 == 3, "\(write.output)")
        let packed = files.filter(\.compressed).flatMap { [String(format: "0x%x", $0.address), dir + "/" + $0.name] }
        let writeZ = try esp(["write-flash", "-z"] + packed)
        #expect(writeZ.code == 0 && writeZ.output.contains("compressed"), "\(writeZ.output)")

        let all = files.flatMap { [String(format: "0x%x", $0.address), dir + "/" + $0.name] }
        let verify = try esp(["verify-flash"] + all)
        #expect(verify.code == 0 && verify.output.contains("digest matched"), "\(verify.output)")
        let read = try esp(["read-flash", "0x10000", "100001", dir + "/readback.bin"])
        #expect(read.code == 0, "\(read.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/readback.bin")) == files[1].data)

        // The emulator's flash, saved on SIGTERM, holds exactly what was written.
        let stats = emulator.stop()
        #expect(stats.contains("wire:"), "\(stats)")
        var image = try Data(contentsOf: URL(fileURLWithPath: flash))
        #expect(image.count == 4 << 20)
        for f in files { #expect(image[f.address..<(f.address + f.data.count)] == f.data, "\(f.name)") }
        #expect(image[0..<0x9000].allSatisfy { $0 == 0xFF })

        // Change the flash behind esptool's back: verify-flash must now fail.
        image[0x10000 + 77] ^= 0x01
        try image.write(to: URL(fileURLWithPath: flash))
        (emulator, port) = try BackgroundProcess.emulator(chip: setup.chip, pty: setup.pty, flashFile: flash)
        let tampered = try esp(["verify-flash", "0x10000", dir + "/app.bin"])
        #expect(tampered.code != 0, "\(tampered.output)")
        #expect(tampered.output.contains("digest mismatch"), "\(tampered.output)")
        _ = emulator.stop()
    }
}
