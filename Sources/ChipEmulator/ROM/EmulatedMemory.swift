import ImageFormats
import SerialBootloader

/// The address space READ_REG, WRITE_REG and MEM_DATA reach on an emulated chip: mask ROM (readable, writes
/// ignored), internal RAM (readable and writable, zero at power-on), and the peripheral register space (any word;
/// the emulator keeps what was written and answers the registers it models). An address in none of them is
/// what the real ROM cannot read either: the CPU takes an exception and the chip resets, so no reply comes.
///
/// Ranges from the chips' technical reference manuals (ESP32 TRM §1.3 "System and Memory", ESP32-S3 TRM §4,
/// ESP32-C3 TRM §3). Modelled aliases: ESP32 RTC FAST memory is the same bytes at 0x3FF80000 and 0x400C0000;
/// the S3/C3 internal SRAM seen on the instruction bus (IRAM) is the same as on the data bus (DRAM). Not modelled:
/// the ESP32's SRAM1 IRAM alias (word-reversed), cache, external RAM. The ROM's bytes are seeded filler (the real
/// ROM image is Espressif's), except the words this tool and esptool read (the chip-detect magic).
struct EmulatedMemoryMap: Sendable {
    enum Kind: Sendable { case rom, ram, peripheral }

    struct Region: Sendable {
        let range: Range<UInt64>
        let kind: Kind
        /// For an alias: the start of the canonical copy the range maps onto.
        let canonicalStart: UInt64?

        init(_ start: UInt64, _ end: UInt64, _ kind: Kind, aliasOf canonical: UInt64? = nil) {
            range = start..<end
            self.kind = kind
            canonicalStart = canonical
        }
    }

    let regions: [Region]

    /// The region holding `address`, and the address of its canonical copy.
    func locate(_ address: UInt32) -> (kind: Kind, canonical: UInt32)? {
        let a = UInt64(address)
        guard let region = regions.first(where: { $0.range.contains(a) }) else { return nil }
        guard let start = region.canonicalStart else { return (region.kind, address) }
        return (region.kind, UInt32(start + (a - region.range.lowerBound)))
    }

    /// Whether `[address, address + size)` is RAM from end to end.
    func isRAM(_ address: UInt32, size: Int) -> Bool {
        let start = UInt64(address), end = start + UInt64(max(size, 1))
        return regions.contains { $0.kind == .ram && $0.range.lowerBound <= start && end <= $0.range.upperBound }
    }

    static func map(for chip: Chip) -> EmulatedMemoryMap? {
        switch chip {
        case .esp32: esp32
        case .esp32s3: esp32s3
        case .esp32c3: esp32c3
        case .esp8266, .esp32s2, .esp32c2, .esp32c6, .esp32c61, .esp32c5, .esp32e22, .esp32h2, .esp32h21, .esp32p4, .esp32h4,
             .esp32s31: nil
        }
    }

    static let esp32 = EmulatedMemoryMap(regions: [
        Region(0x3FF0_0000, 0x3FF8_0000, .peripheral),       // DPort and AHB/APB peripherals
        Region(0x3FF8_0000, 0x3FF8_2000, .ram),              // RTC FAST memory (data bus)
        Region(0x3FF9_0000, 0x3FFA_0000, .rom),              // internal ROM 1
        Region(0x3FFA_E000, 0x4000_0000, .ram),              // internal SRAM 2 and 1 (data bus)
        Region(0x4000_0000, 0x4006_0000, .rom),              // internal ROM 0
        Region(0x4007_0000, 0x400C_0000, .ram),              // internal SRAM 0 and 1 (instruction bus)
        Region(0x400C_0000, 0x400C_2000, .ram, aliasOf: 0x3FF8_0000),  // RTC FAST memory (instruction bus)
        Region(0x5000_0000, 0x5000_2000, .ram),              // RTC SLOW memory
        Region(0x6000_0000, 0x6004_0000, .peripheral),       // the peripherals' APB alias
    ])

    static let esp32s3 = EmulatedMemoryMap(regions: [
        Region(0x3FC8_8000, 0x3FD0_0000, .ram),              // internal SRAM 1 and 2 (data bus)
        Region(0x3FF0_0000, 0x3FF2_0000, .rom),              // internal ROM (data bus)
        Region(0x4000_0000, 0x4006_0000, .rom),              // internal ROM
        Region(0x4037_0000, 0x4037_8000, .ram),              // internal SRAM 0 (instruction bus only)
        Region(0x4037_8000, 0x403E_0000, .ram, aliasOf: 0x3FC8_8000),  // SRAM 1 on the instruction bus
        Region(0x5000_0000, 0x5000_2000, .ram),              // RTC SLOW memory
        Region(0x6000_0000, 0x600D_1000, .peripheral),
        Region(0x600F_E000, 0x6010_0000, .ram),              // RTC FAST memory
    ])

    static let esp32c3 = EmulatedMemoryMap(regions: [
        Region(0x3FC8_0000, 0x3FCE_0000, .ram),              // internal SRAM 1 (data bus)
        Region(0x3FF0_0000, 0x3FF2_0000, .rom),              // internal ROM (data bus)
        Region(0x4000_0000, 0x4006_0000, .rom),              // internal ROM
        Region(0x4037_C000, 0x4038_0000, .ram),              // internal SRAM 0 (instruction bus only)
        Region(0x4038_0000, 0x403E_0000, .ram, aliasOf: 0x3FC8_0000),  // SRAM 1 on the instruction bus
        Region(0x5000_0000, 0x5000_2000, .ram),              // RTC FAST memory
        Region(0x6000_0000, 0x600D_1000, .peripheral),
    ])
}

extension EmulatedDevice {
    /// A ROM word: seeded by chip and address, so every read of it, in every run, gives the same value.
    static func romWord(_ chip: Chip, _ address: UInt32) -> UInt32 {
        var x = UInt64(address) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(chip.imageChipID ?? 0xFFFF) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt32(truncatingIfNeeded: x ^ (x >> 31))
    }

    /// The word at `address` as the CPU would read it, or nil when reading there crashes the chip. Addresses are
    /// taken as the ROM does: the low two bits are ignored.
    func memoryWord(_ address: UInt32) -> UInt32? {
        let aligned = address & ~3
        guard let map = memoryMap else { return registers[aligned] ?? 0 }
        guard let (kind, canonical) = map.locate(aligned) else { return nil }
        switch kind {
        case .rom: return registers[canonical] ?? Self.romWord(profile.chip, canonical)
        case .ram, .peripheral: return registers[canonical] ?? 0
        }
    }

    /// Stores a word; false when the address is not mapped (the chip crashes). ROM ignores writes.
    func storeWord(_ address: UInt32, value: UInt32, mask: UInt32 = 0xFFFF_FFFF) -> Bool {
        let aligned = address & ~3
        guard let map = memoryMap else {
            registers[aligned] = (registers[aligned] ?? 0) & ~mask | value & mask
            return true
        }
        guard let (kind, canonical) = map.locate(aligned) else { return false }
        if kind == .rom { return true }
        registers[canonical] = (registers[canonical] ?? 0) & ~mask | value & mask
        return true
    }

    /// Bytes as MEM_DATA writes them (any alignment).
    func storeBytes(_ bytes: [UInt8], at address: UInt32) {
        for (i, byte) in bytes.enumerated() {
            let a = address &+ UInt32(i)
            let shift = (a & 3) * 8
            _ = storeWord(a, value: UInt32(byte) << shift, mask: 0xFF << shift)
        }
    }

    /// `count` bytes from `address` (tests read back what load-ram put into RAM).
    public func readMemory(_ address: UInt32, count: Int) -> [UInt8]? {
        var out: [UInt8] = []
        for i in 0..<count {
            let a = address &+ UInt32(i)
            guard let word = memoryWord(a) else { return nil }
            out.append(UInt8(word >> ((a & 3) * 8) & 0xFF))
        }
        return out
    }

    var memoryMap: EmulatedMemoryMap? { EmulatedMemoryMap.map(for: profile.chip) }
}
