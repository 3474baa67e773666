import SerialBootloader
import ImageFormats

/// What the emulator adds to the chip table (`Chip`) for a chip it emulates: the magic value it reports and the
/// register values esptool reads while identifying it. Detection, command variants, eFuse and SPI register
/// addresses come from the table.
public struct RomProfile: Sendable {
    public let chip: Chip
    /// The chip's ROM-loader row of the table, which the emulated ROM follows.
    public let loader: LoaderFacts
    /// What the magic register (`Chip.magicRegister`) holds: one of `loader.magicValues`.
    public let magicValue: UInt32
    /// Registers with fixed values esptool reads while identifying the chip.
    public let fixedRegisters: [UInt32: UInt32]

    /// The profile of an emulated chip; nil for chips the emulator does not play.
    public static func profile(for chip: Chip) -> RomProfile? {
        switch chip {
        case .esp32: esp32
        case .esp32s3: esp32s3
        case .esp32c3: esp32c3
        case .esp8266, .esp32s2, .esp32c2, .esp32c6, .esp32c61, .esp32c5, .esp32e22, .esp32h2, .esp32h21, .esp32p4, .esp32h4,
             .esp32s31: nil
        }
    }

    /// The chips `emulate --chip` and `virtual://CHIP` offer, in table order.
    public static let emulatedChips: [Chip] = Chip.allCases.filter { profile(for: $0) != nil }

    /// GET_SECURITY_INFO's chip id; nil where the reply has none or the ROM lacks the command.
    public var securityInfoChipID: UInt32? {
        switch loader.securityInfo {
        case .withChipID: chip.imageChipID.map(UInt32.init)
        case .unsupported, .withoutChipID: nil
        }
    }

    static let esp32 = RomProfile(
        chip: .esp32, loader: .esp32, magicValue: 0x00F0_1D83,
        fixedRegisters: [
            // Chip revision v3.0: BLK0 word3 bit 15, word5 bit 20 and APB_CTL_DATE bit 31 all set.
            ESP32Registers.efuseBlock0Word3: 1 << 15,
            ESP32Registers.efuseBlock0Word5: 1 << 20,
            ESP32Registers.apbControlDate: 1 << 31,
            // ROM crystal calibration: RTCCALICFG1 cali value 1024 (<<7) with eFuse CK8M_FREQ 100 gives
            // 1024 × 15625 × 100 / 40 = 40 MHz, so esptool sends the requested baud unscaled.
            ESP32Registers.rtcCalibration: 1024 << 7,
            ESP32Registers.efuseBlock0Word4: 100,
        ])

    static let esp32s3 = RomProfile(chip: .esp32s3, loader: .esp32s3, magicValue: 0x0000_0009, fixedRegisters: [:])

    static let esp32c3 = RomProfile(chip: .esp32c3, loader: .esp32c3, magicValue: 0x1B31_506F, fixedRegisters: [:])
}
