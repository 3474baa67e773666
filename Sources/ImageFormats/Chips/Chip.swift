/// Per-chip facts shared by the image tools and the flasher: one literal per supported chip.
///
/// Sources (esptool 5.6.0): `targets/esp32*.py` (`IMAGE_CHIP_ID`, `BOOTLOADER_FLASH_OFFSET`, `FLASH_FREQUENCY`,
/// `UF2_FAMILY_ID`, `IROM_MAP_*`/`DROM_MAP_*`, `MEMORY_MAP`, `CHIP_DETECT_MAGIC_VALUE`); summarised in
/// reference/esptool.md §5.2.
public struct Chip: Sendable, Hashable, CustomStringConvertible {
    /// The `--chip` spelling: `esp32c3`.
    public let name: String
    /// The name esptool prints: `ESP32-C3`.
    public let displayName: String
    /// Image header bytes 12–13 and the GET_SECURITY_INFO chip id.
    public let imageChipID: UInt16
    /// Flash address of the second-stage bootloader; merge-bin and write-flash patch the image header found here.
    public let bootloaderOffset: Int
    /// Low nibble of image header byte 3, in esptool's dictionary order (image-info prints the first name whose
    /// code matches, so a C6 image with code 0 reads as `80m`).
    public let flashFrequencies: [(name: String, code: UInt8)]
    /// UF2 `familyID` (microsoft/uf2 `utils/uf2families.json`).
    public let uf2FamilyID: UInt32
    /// Values of the ROM's magic register (`chipMagicRegister`) that identified this chip before esptool 4.9;
    /// only the ESP32 and ESP32-S2 still need them (they have no GET_SECURITY_INFO chip id).
    public let magicValues: [UInt32]
    /// Flash-mapped instruction and data windows (`IROM_MAP_START..END`, `DROM_MAP_START..END`).
    public let iromMap: Range<UInt32>
    public let dromMap: Range<UInt32>
    /// Named address ranges image-info uses to label segments, in esptool's order.
    public let memoryMap: [MemoryRegion]

    public var description: String { name }

    public static func == (lhs: Chip, rhs: Chip) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// ROM register the chip-detect magic value is read from (`ESPLoader.CHIP_DETECT_MAGIC_REG_ADDR`).
    public static let chipMagicRegister: UInt32 = 0x4000_1000

    /// Every chip this tool supports, in esptool's `CHIP_DEFS` order.
    public static let all: [Chip] = [.esp32, .esp32s2, .esp32s3, .esp32c3, .esp32c2, .esp32c6, .esp32c5, .esp32h2]

    public static func named(_ name: String) -> Chip? {
        let folded = name.lowercased().filter { $0 != "-" && $0 != "_" }
        return all.first { $0.name == folded }
    }

    public static func withImageChipID(_ id: UInt16) -> Chip? { all.first { $0.imageChipID == id } }

    /// Chips esptool 5.6.0 knows but this tool does not support, by image chip id (for clearer errors).
    public static let otherKnownChipIDs: [UInt16: String] = [
        18: "ESP32-P4", 20: "ESP32-C61", 25: "ESP32-H21", 28: "ESP32-H4", 31: "ESP32-E22", 32: "ESP32-S31",
    ]

    /// The frequency code for `name` (`40m`), or nil when this chip has no such setting.
    public func flashFrequencyCode(_ name: String) -> UInt8? { flashFrequencies.first { $0.name == name }?.code }

    /// The name esptool prints for a frequency code (first match in table order).
    public func flashFrequencyName(_ code: UInt8) -> String? { flashFrequencies.first { $0.code == code }?.name }

    /// Names of the memory regions containing `address` (esptool `ImageSegment.get_memory_type`).
    public func memoryTypes(at address: UInt32) -> [String] {
        memoryMap.filter { $0.start <= address && address < $0.end }.map(\.name)
    }

    public func isFlashMapped(_ address: UInt32) -> Bool { iromMap.contains(address) || dromMap.contains(address) }
}

/// One `MEMORY_MAP` row: `[start, end)` and its name.
public struct MemoryRegion: Sendable, Hashable {
    public let start: UInt32
    public let end: UInt32
    public let name: String

    public init(_ start: UInt32, _ end: UInt32, _ name: String) {
        self.start = start
        self.end = end
        self.name = name
    }
}
