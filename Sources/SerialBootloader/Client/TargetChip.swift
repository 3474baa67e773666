/// What the host needs to know about a chip family to drive its ROM loader. Facts from esptool 5.6.0
/// `targets/esp32*.py` (shared/reference/esptool.md §5.2, §6).
public struct TargetChip: Sendable, Equatable {
    public enum Family: String, Sendable, CaseIterable {
        case esp32, esp32s2, esp32s3, esp32c2, esp32c3, esp32c5, esp32c6, esp32h2
    }

    public struct SPIRegisters: Sendable, Equatable {
        public let base: UInt32
        public let usr: UInt32, usr1: UInt32, usr2: UInt32, mosiDataLength: UInt32, misoDataLength: UInt32, w0: UInt32
        public var cmd: UInt32 { base }
        public var addr: UInt32 { base + 0x04 }

        /// ESP32 puts USR at +0x1C and W0 at +0x80; every later chip at +0x18 and +0x58.
        static func esp32Layout(_ base: UInt32) -> SPIRegisters {
            SPIRegisters(base: base, usr: base + 0x1C, usr1: base + 0x20, usr2: base + 0x24,
                         mosiDataLength: base + 0x28, misoDataLength: base + 0x2C, w0: base + 0x80)
        }

        static func laterLayout(_ base: UInt32) -> SPIRegisters {
            SPIRegisters(base: base, usr: base + 0x18, usr1: base + 0x1C, usr2: base + 0x20,
                         mosiDataLength: base + 0x24, misoDataLength: base + 0x28, w0: base + 0x58)
        }
    }

    public let family: Family
    public let displayName: String
    /// `IMAGE_CHIP_ID`, as GET_SECURITY_INFO reports it.
    public let imageChipID: UInt32
    /// Value at 0x40001000 for chips recognised by it (ESP32, ESP32-S2); nil for chips detected by chip id.
    public let magicValue: UInt32?
    /// Whether the ROM answers GET_SECURITY_INFO.
    public let hasSecurityInfo: Bool
    /// Words in the ROM's FLASH_BEGIN / FLASH_DEFL_BEGIN: 4 on the ESP32, 5 (with `encrypted`) after it.
    public let beginWords: Int
    /// The two eFuse words holding the base MAC (mac0 low 32 bits, mac1 high 16 bits).
    public let macWords: (low: UInt32, high: UInt32)
    public let spi: SPIRegisters
    /// Where the second-stage bootloader lives in flash.
    public let bootloaderOffset: Int
    /// Crystal in MHz where it is fixed; nil where esptool estimates it from the UART divider.
    public let fixedCrystalMHz: Int?
    /// What the family has, from the datasheet (the eFuse-dependent details such as package are not read).
    public let features: [String]

    public static func == (a: TargetChip, b: TargetChip) -> Bool { a.family == b.family }

    /// Detection magic register (`CHIP_DETECT_MAGIC_REG_ADDR`).
    public static let magicRegister: UInt32 = 0x4000_1000

    public static let all: [TargetChip] = [esp32, esp32s2, esp32s3, esp32c2, esp32c3, esp32c5, esp32c6, esp32h2]

    public static func chip(_ family: Family) -> TargetChip { all.first { $0.family == family }! }

    public static let esp32 = TargetChip(
        family: .esp32, displayName: "ESP32", imageChipID: 0, magicValue: 0x00F0_1D83, hasSecurityInfo: false, beginWords: 4,
        macWords: (0x3FF5_A004, 0x3FF5_A008), spi: .esp32Layout(0x3FF4_2000), bootloaderOffset: 0x1000, fixedCrystalMHz: nil,
        features: ["Wi-Fi", "BT", "Dual Core"])
    public static let esp32s2 = TargetChip(
        family: .esp32s2, displayName: "ESP32-S2", imageChipID: 2, magicValue: 0x0000_07C6, hasSecurityInfo: true, beginWords: 5,
        macWords: (0x3F41_A044, 0x3F41_A048), spi: .laterLayout(0x3F40_2000), bootloaderOffset: 0x1000, fixedCrystalMHz: 40,
        features: ["Wi-Fi", "Single Core"])
    public static let esp32s3 = TargetChip(
        family: .esp32s3, displayName: "ESP32-S3", imageChipID: 9, magicValue: nil, hasSecurityInfo: true, beginWords: 5,
        macWords: (0x6000_7044, 0x6000_7048), spi: .laterLayout(0x6000_2000), bootloaderOffset: 0, fixedCrystalMHz: 40,
        features: ["Wi-Fi", "BLE", "Dual Core"])
    public static let esp32c2 = TargetChip(
        family: .esp32c2, displayName: "ESP32-C2", imageChipID: 12, magicValue: nil, hasSecurityInfo: true, beginWords: 5,
        macWords: (0x6000_8840, 0x6000_8844), spi: .laterLayout(0x6000_2000), bootloaderOffset: 0, fixedCrystalMHz: nil,
        features: ["Wi-Fi", "BLE", "Single Core"])
    public static let esp32c3 = TargetChip(
        family: .esp32c3, displayName: "ESP32-C3", imageChipID: 5, magicValue: nil, hasSecurityInfo: true, beginWords: 5,
        macWords: (0x6000_8844, 0x6000_8848), spi: .laterLayout(0x6000_2000), bootloaderOffset: 0, fixedCrystalMHz: 40,
        features: ["Wi-Fi", "BLE", "Single Core"])
    public static let esp32c5 = TargetChip(
        family: .esp32c5, displayName: "ESP32-C5", imageChipID: 23, magicValue: nil, hasSecurityInfo: true, beginWords: 5,
        macWords: (0x600B_4844, 0x600B_4848), spi: .laterLayout(0x6000_3000), bootloaderOffset: 0x2000, fixedCrystalMHz: nil,
        features: ["Wi-Fi 6 (dual band)", "BLE", "802.15.4", "Single Core"])
    public static let esp32c6 = TargetChip(
        family: .esp32c6, displayName: "ESP32-C6", imageChipID: 13, magicValue: nil, hasSecurityInfo: true, beginWords: 5,
        macWords: (0x600B_0844, 0x600B_0848), spi: .laterLayout(0x6000_3000), bootloaderOffset: 0, fixedCrystalMHz: 40,
        features: ["Wi-Fi 6", "BLE", "802.15.4", "Single Core"])
    public static let esp32h2 = TargetChip(
        family: .esp32h2, displayName: "ESP32-H2", imageChipID: 16, magicValue: nil, hasSecurityInfo: true, beginWords: 5,
        macWords: (0x600B_0844, 0x600B_0848), spi: .laterLayout(0x6000_3000), bootloaderOffset: 0, fixedCrystalMHz: 32,
        features: ["BLE", "802.15.4", "Single Core"])

    /// The chip whose GET_SECURITY_INFO chip id is `id` (only chips detected that way).
    public static func chip(imageChipID id: UInt32) -> TargetChip? { all.first { $0.magicValue == nil && $0.imageChipID == id } }

    /// Magic values of chips detected by chip id, as esptool before 4.9 matched them (esptool.md §5.2), used
    /// only when GET_SECURITY_INFO gave no chip id.
    static let legacyMagicValues: [Family: [UInt32]] = [
        .esp32s3: [0x9], .esp32c2: [0x6F51_306F, 0x7C41_A06F, 0x0C21_E06F],
        .esp32c3: [0x6921_506F, 0x1B31_506F, 0x4881_606F, 0x4361_606F], .esp32c5: [0x1101_406F, 0x63E1_406F],
        .esp32c6: [0x2CE0_806F], .esp32h2: [0xD7B7_3E80],
    ]

    public static func chip(legacyMagic value: UInt32) -> TargetChip? {
        legacyMagicValues.first { $0.value.contains(value) }.map { chip($0.key) }
    }

    /// The chip whose magic register holds `value`.
    public static func chip(magic value: UInt32) -> TargetChip? { all.first { $0.magicValue == value } }
}
