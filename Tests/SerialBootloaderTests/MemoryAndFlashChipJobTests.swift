import ChipEmulator
import Foundation
import ImageFormats
import SerialBootloader
import TestSupport
import Testing

/// The ROM-protocol commands beyond flashing, through the jobs against the emulated chip: the SPI flash command
/// engine (status registers, SFDP), READ_REG/WRITE_REG memory access with the chip's memory map, RAM loading
/// (MEM_BEGIN/MEM_DATA/MEM_END) and leaving the loader.
@Suite("Memory, RAM loading and SPI flash chip commands")
struct MemoryAndFlashChipJobTests {
    static func run<T>(_ opener: ChipOpener, _ body: (DeviceSession) throws(JobFailure) -> T) -> JobOutcome<T> {
        DeviceJob.run(opener.request, after: .noReset, body)
    }

    @Test("status register: RDSR/RDSR2/RDSR3 read the power-on value; WRSR needs WREN or 50h; bits the chip lacks stay")
    func flashStatus() throws {
        let opener = ChipOpener(.esp32)
        let before = Self.run(opener) { session throws(JobFailure) in try session.readFlashStatus(bytes: 3) }
        #expect(try before.result.get() == 0x60_0200)  // SR1 00, SR2 02 (QE), SR3 60
        let change = try Self.run(opener) { session throws(JobFailure) in
            try session.writeFlashStatus(0x0000, bytes: 2, nonVolatile: true)
        }.result.get()
        #expect(change.before == 0x0200 && change.requested == 0 && change.after == 0)
        #expect(opener.device.flashStatusRegisters == [0x00, 0x00, 0x60])
        // Block-protect bits are writable, BUSY and WEL are not (0x03 asked for, 0x00 kept, a warning note).
        let notes = EventLog()
        let partial = DeviceJob.run(opener.request, after: .noReset, context: notes.context) { session throws(JobFailure) in
            try session.writeFlashStatus(0x1F, bytes: 1, nonVolatile: false)
        }
        #expect(try partial.result.get().after == 0x1C)
        #expect(notes.all.contains { if case .note(let text, true) = $0 { text.contains("kept some bits") } else { false } })
        #expect(try Self.run(opener) { session throws(JobFailure) in try session.readFlashStatus(bytes: 1) }.result.get() == 0x1C)
    }

    @Test("a status write without a write enable changes nothing (the datasheet's rule, as the emulated chip keeps it)")
    func statusWriteNeedsEnable() throws {
        let chip = try EmulatedChip(.esp32c3)
        try chip.loader.run(SPIFlashCommand(SPIFlashCommand.Opcode.writeStatus, data: [0x1C]))
        #expect(try chip.loader.readFlashStatus(bytes: 1) == 0)
        try chip.loader.run(SPIFlashCommand(SPIFlashCommand.Opcode.writeEnable))
        #expect(try chip.loader.readFlashStatus(bytes: 1) == 0x02, "WEL reads back in SR1 bit 1")
        try chip.loader.run(SPIFlashCommand(SPIFlashCommand.Opcode.writeStatus, data: [0x1C]))
        #expect(try chip.loader.readFlashStatus(bytes: 1) == 0x1C, "the write cleared WEL")
    }

    @Test("SFDP: the JESD216 header and a Basic Flash Parameter Table whose density follows the flash size", arguments: [Chip.esp32, .esp32c3])
    func sfdp(chip: Chip) throws {
        for size in [4 << 20, 16 << 20] {
            let opener = ChipOpener(chip, flashSize: size)
            let bytes = try Self.run(opener) { session throws(JobFailure) in try session.readSFDP(address: 0, count: 0xC0) }.result.get()
            #expect(Array(bytes[0..<4]) == Array("SFDP".utf8))
            #expect(bytes[0x0C] == 0x80 && bytes[0x0B] == 0x10, "parameter table pointer 0x80, 16 dwords")
            let density = UInt32(bytes[0x84]) | UInt32(bytes[0x85]) << 8 | UInt32(bytes[0x86]) << 16 | UInt32(bytes[0x87]) << 24
            #expect(Int(density) + 1 == size * 8, "density in bits")
            #expect(bytes[0x80] == 0xE5 && bytes[0x81] == 0x20, "4 KB erase with 20h")
        }
    }

    @Test("read and write words: RAM keeps them (aliases included), ROM ignores writes, an unmapped address gets no reply")
    func memoryWords() throws {
        let opener = ChipOpener(.esp32)
        let written = try Self.run(opener) { session throws(JobFailure) in
            try session.writeMemory(0x400C_0000, value: 0xABAD_1DEA)
        }.result.get()
        #expect(written == 0xABAD_1DEA)
        // RTC FAST memory is the same bytes on the data bus at 0x3FF80000.
        #expect(try Self.run(opener) { session throws(JobFailure) in try session.readMemory(0x3FF8_0000) }.result.get() == 0xABAD_1DEA)
        let masked = try Self.run(opener) { session throws(JobFailure) in
            try session.writeMemory(0x3FF8_0000, value: 0x0000_00FF, mask: 0x0000_00F0)
        }.result.get()
        #expect(masked == 0xABAD_1DFA)
        let rom = try Self.run(opener) { session throws(JobFailure) in try session.writeMemory(0x4000_1000, value: 0) }.result.get()
        #expect(rom == 0x00F0_1D83, "the ROM's magic word cannot be overwritten")
        let crash = Self.run(opener) { session throws(JobFailure) in try session.readMemory(0x2000_0000) }
        #expect(crash.failure?.stage == .read)
        #expect(crash.failure?.message.contains("no reply at 0x20000000") == true)
        #expect(opener.device.crashes == 1)
        // The chip came back in its loader: the next job connects.
        #expect(try Self.run(opener) { session throws(JobFailure) in try session.readMemory(0x4000_1000) }.result.get() == 0x00F0_1D83)
    }

    @Test("dump: whole words, little-endian, the same bytes as word reads")
    func dump() throws {
        let opener = ChipOpener(.esp32s3)
        let outcome = Self.run(opener) { session throws(JobFailure) in try session.dumpMemory(address: 0x4000_0000, size: 0x1006) }
        let bytes = try outcome.result.get()
        #expect(bytes.count == 0x1004)
        let word = try Self.run(opener) { session throws(JobFailure) in try session.readMemory(0x4000_0FF0) }.result.get()
        #expect(Array(bytes[0xFF0..<0xFF4]) == [UInt8(word & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word >> 16 & 0xFF), UInt8(word >> 24)])
    }

    @Test("load-ram: every segment lands in RAM, the chip runs the entry point and stops answering its loader")
    func loadRAM() throws {
        let opener = ChipOpener(.esp32)
        let image = try RAMImage(parsing: Array(try Data(contentsOf: packageRoot.appendingPathComponent("Fixtures/images/ram_helloworld/helloworld-esp32.bin"))))
        let result = try Self.run(opener) { session throws(JobFailure) in try session.loadRAM(image, name: "helloworld-esp32.bin") }.result.get()
        #expect(result.entry == 0x4008_C008)
        #expect(result.segments.map(\.address) == [0x3FFC_0000, 0x4008_C000])
        for segment in image.segments {
            #expect(opener.device.readMemory(segment.address, count: segment.data.count) == segment.data)
        }
        #expect(opener.device.running == .ramProgram(entry: 0x4008_C008))
        var request = opener.request
        request.connectAttempts = 1
        #expect(DeviceJob.run(request) { session throws(JobFailure) in session.info }.failure?.stage == .connect)
        opener.device.resetIntoLoader()
        #expect(DeviceJob.run(opener.request, after: .noReset) { session throws(JobFailure) in session.info }.failure == nil)
    }

    @Test("load-ram refuses segments outside RAM and images for another chip (unless forced); the ROM refuses them too")
    func loadRAMChecks() throws {
        let opener = ChipOpener(.esp32c3)
        let outside = RAMImage(segments: [.init(address: 0x4200_0000, data: [1, 2, 3, 4])], entry: 0x4200_0000)
        #expect(Self.run(opener) { session throws(JobFailure) in try session.loadRAM(outside, name: "x") }.failure?.reason == .invalidInput)
        let esp32 = try RAMImage(parsing: Array(try Data(contentsOf: packageRoot.appendingPathComponent("Fixtures/images/ram_helloworld/helloworld-esp32.bin"))))
        let wrong = Self.run(opener) { session throws(JobFailure) in try session.loadRAM(esp32, name: "esp32.bin") }
        #expect(wrong.failure?.reason == .incompatibleImage)
        // Forced, the ESP32 addresses are not the C3's RAM: the guard of segment addresses still stops it.
        #expect(Self.run(opener) { session throws(JobFailure) in try session.loadRAM(esp32, name: "esp32.bin", force: true) }.failure?.reason == .invalidInput)
        // The emulated ROM answers MEM_BEGIN outside RAM with "invalid RAM binary address" (0x0F).
        let chip = try EmulatedChip(.esp32c3)
        #expect(throws: LoaderError.self) { try chip.loader.loadSegment(address: 0x4200_0000, data: [0, 0, 0, 0]) }
        let c3 = try RAMImage(parsing: Array(try Data(contentsOf: packageRoot.appendingPathComponent("Fixtures/images/ram_helloworld/helloworld-esp32c3.bin"))))
        #expect(throws: Never.self) { try chip.loader.loadSegment(address: c3.segments[0].address, data: c3.segments[0].data) }
    }

    @Test("run: FLASH_BEGIN of nothing and FLASH_END leave the loader for the application")
    func runApplication() throws {
        let opener = ChipOpener(.esp32c3)
        #expect(Self.run(opener) { session throws(JobFailure) in try session.runApplication() }.failure == nil)
        #expect(opener.device.running == .flashApplication)
        #expect(opener.requests["FLASH_END"] == 1)
    }

    @Test("an ELF file loads by its program headers: PT_LOAD segments with file bytes at their physical address")
    func elf() throws {
        let elf = Self.elf(entry: 0x4008_0400, segments: [(0x3FFB_0000, [1, 2, 3, 4, 5]), (0x4008_0000, Array(repeating: 0xAB, count: 64))])
        let image = try RAMImage(parsing: elf)
        #expect(image.entry == 0x4008_0400)
        #expect(image.segments == [.init(address: 0x3FFB_0000, data: [1, 2, 3, 4, 5]), .init(address: 0x4008_0000, data: Array(repeating: 0xAB, count: 64))])
        #expect(image.segmentsOutsideRAM(of: .esp32).isEmpty)
        #expect(image.segmentsOutsideRAM(of: .esp32c3).count == 2)
        var truncated = elf
        truncated.removeLast(10)
        #expect(throws: FormatError.self) { try RAMImage(parsing: truncated) }
        #expect(throws: FormatError.self) { try RAMImage(parsing: [0x00, 0x01, 0x02]) }
    }

    /// A minimal ELF32 little-endian executable: header, program headers, then the segments' bytes.
    static func elf(entry: UInt32, segments: [(UInt32, [UInt8])]) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        var header: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 1, 1, 1, 0] + Array(repeating: 0, count: 8)
        header += le16(2) + le16(94) + le32(1) + le32(entry) + le32(52) + le32(0) + le32(0) + le16(52) + le16(32) + le16(segments.count)
        header += le16(40) + le16(0) + le16(0)
        var offset = 52 + 32 * segments.count
        var table: [UInt8] = [], data: [UInt8] = []
        for (address, bytes) in segments {
            table += le32(1) + le32(UInt32(offset)) + le32(address) + le32(address) + le32(UInt32(bytes.count)) + le32(UInt32(bytes.count)) + le32(7) + le32(4)
            data += bytes
            offset += bytes.count
        }
        return header + table + data
    }
}

