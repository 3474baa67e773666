/// What an emulated chip's ROM loader looks like from the outside: how it is detected, which command variants it
/// takes and where esptool looks for its registers. Facts from esptool 5.6.0 `targets/esp32*.py`
/// (shared/reference/esptool.md §5.2, §6).
public struct RomProfile: Sendable {
    public enum Chip: String, Sendable, CaseIterable {
        case esp32, esp32s3, esp32c3
    }

    public let chip: Chip
    public let displayName: String
    /// Value at 0x40001000 (`CHIP_DETECT_MAGIC_REG_ADDR`); the ESP32 is recognised by it.
    public let magicValue: UInt32
    /// `IMAGE_CHIP_ID`, returned by GET_SECURITY_INFO; nil where the ROM lacks that command (ESP32).
    public let securityInfoChipID: UInt32?
    /// Words in FLASH_BEGIN / FLASH_DEFL_BEGIN: 4 on the ESP32 ROM, 5 (with `encrypted`) on later ones.
    public let beginWords: Int
    /// eFuse read base (`EFUSE_RD_REG_BASE`/`EFUSE_BLOCK1_ADDR`) and the two MAC words.
    public let macWordAddresses: (low: UInt32, high: UInt32)
    /// SPI1 / SPIMEM1 controller: base address and register offsets esptool drives for flash commands.
    public let spi: SPIRegisters
    /// Registers with fixed values esptool reads while identifying the chip.
    public let fixedRegisters: [UInt32: UInt32]

    public struct SPIRegisters: Sendable {
        public let base: UInt32
        public let usr: UInt32, usr1: UInt32, usr2: UInt32, mosiDataLength: UInt32, misoDataLength: UInt32, w0: UInt32
        public var cmd: UInt32 { base }
        public var addr: UInt32 { base + 0x04 }
    }

    /// Detection magic register (`CHIP_DETECT_MAGIC_REG_ADDR`).
    public static let magicRegister: UInt32 = 0x4000_1000
    /// The ESP32 UART0 clock divider register, read to estimate the crystal (`UART_CLKDIV_REG`).
    public static let esp32UARTClockDivider: UInt32 = 0x3FF4_0014

    public static func profile(for chip: Chip) -> RomProfile {
        switch chip {
        case .esp32: esp32
        case .esp32s3: esp32s3
        case .esp32c3: esp32c3
        }
    }

    static let esp32 = RomProfile(
        chip: .esp32, displayName: "ESP32", magicValue: 0x00F0_1D83, securityInfoChipID: nil, beginWords: 4,
        macWordAddresses: (0x3FF5_A004, 0x3FF5_A008),
        spi: SPIRegisters(base: 0x3FF4_2000, usr: 0x3FF4_201C, usr1: 0x3FF4_2020, usr2: 0x3FF4_2024,
                          mosiDataLength: 0x3FF4_2028, misoDataLength: 0x3FF4_202C, w0: 0x3FF4_2080),
        fixedRegisters: [
            // Chip revision v3.0: BLK0 word3 bit 15, word5 bit 20 and APB_CTL_DATE bit 31 all set.
            0x3FF5_A00C: 1 << 15,
            0x3FF5_A014: 1 << 20,
            0x3FF6_607C: 1 << 31,
            // ROM crystal calibration: RTCCALICFG1 cali value 1024 (<<7) with eFuse CK8M_FREQ 100 gives
            // 1024 × 15625 × 100 / 40 = 40 MHz, so esptool sends the requested baud unscaled.
            0x3FF5_F06C: 1024 << 7,
            0x3FF5_A010: 100,
        ])

    static let esp32s3 = RomProfile(
        chip: .esp32s3, displayName: "ESP32-S3", magicValue: 0x0000_0009, securityInfoChipID: 9, beginWords: 5,
        macWordAddresses: (0x6000_7044, 0x6000_7048),
        spi: SPIRegisters(base: 0x6000_2000, usr: 0x6000_2018, usr1: 0x6000_201C, usr2: 0x6000_2020,
                          mosiDataLength: 0x6000_2024, misoDataLength: 0x6000_2028, w0: 0x6000_2058),
        fixedRegisters: [:])

    static let esp32c3 = RomProfile(
        chip: .esp32c3, displayName: "ESP32-C3", magicValue: 0x1B31_506F, securityInfoChipID: 5, beginWords: 5,
        macWordAddresses: (0x6000_8844, 0x6000_8848),
        spi: SPIRegisters(base: 0x6000_2000, usr: 0x6000_2018, usr1: 0x6000_201C, usr2: 0x6000_2020,
                          mosiDataLength: 0x6000_2024, misoDataLength: 0x6000_2028, w0: 0x6000_2058),
        fixedRegisters: [:])
}
