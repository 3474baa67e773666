import SerialBootloader
import ImageFormats

/// What the emulator adds to the chip table (`Chip`) for a chip it emulates: the magic value it reports, the
/// eFuse words esptool reads while identifying it (revision), its crystal and what its ROM assumes about it, and
/// the ROM's banner. Detection, command variants, eFuse, SPI, watchdog and security register addresses come from
/// the table; the values here are one plausible chip of each family.
public struct RomProfile: Sendable {
    public let chip: Chip
    /// The chip's ROM-loader row of the table, which the emulated ROM follows.
    public let loader: LoaderFacts
    /// What the magic register (`Chip.magicRegister`) holds: one of `loader.magicValues`.
    public let magicValue: UInt32
    /// The silicon revision the eFuse words report (written through the table's revision fields).
    public let revision: ChipRevision
    /// The crystal modules of this family usually carry, in MHz (`--crystal` overrides).
    public let defaultCrystalMHz: Int
    /// The crystals the family is built with.
    public let crystals: [Int]
    /// The last byte of the emulated base MAC (Espressif's 24:0a:c4 OUI, then 5e:00:NN).
    public let macSuffix: UInt8
    /// The ROM's first lines after reset (its version banner; approximations of each ROM's text).
    public let banner: [String]

    /// The profile of an emulated chip; every chip of the table has one.
    public static func profile(for chip: Chip) -> RomProfile? {
        switch chip {
        case .esp32: esp32
        case .esp32s2: esp32s2
        case .esp32s3: esp32s3
        case .esp32c3: esp32c3
        case .esp32c2: esp32c2
        case .esp32c6: esp32c6
        case .esp32c5: esp32c5
        case .esp32h2: esp32h2
        case .esp8266, .esp32c61, .esp32e22, .esp32h21, .esp32p4, .esp32h4, .esp32s31: nil
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

    /// The crystal frequency the ROM computes its UART divider from, given the real one: the ESP32 ROM calibrates
    /// against its 8 MHz oscillator (modelled as exact), the ESP32-C2 ROM always assumes 40 MHz, the ESP32-C5 ROM
    /// the 48 MHz its PCR register names; the others are fixed-crystal families.
    func romClockMHz(crystal: Int) -> Int {
        switch chip {
        case .esp32c2: 40
        case .esp32c5: Self.c5ROMExpectedCrystal
        default: crystal
        }
    }

    /// What `PCR_SYSCLK_CONF` bits 30–24 hold on the emulated ESP32-C5: the crystal its ROM expects.
    static let c5ROMExpectedCrystal = 48

    /// Register values of a chip with `crystal` that do not change while it runs: the revision fields, the
    /// ESP32's crystal calibration, the ESP32-C5's expected crystal.
    func fixedRegisters(crystal: Int) -> [UInt32: UInt32] {
        var registers: [UInt32: UInt32] = [:]
        switch loader.revision {
        case .esp32:
            // Revision v3.x: BLK0 word3 bit 15, word5 bit 20 and APB_CTL_DATE bit 31 all set; minor in word5 24–25.
            registers[ESP32Registers.efuseBlock0Word3] = revision.major >= 1 ? 1 << 15 : 0
            registers[ESP32Registers.efuseBlock0Word5] = (revision.major >= 2 ? 1 << 20 : 0) | UInt32(revision.minor & 3) << 24
            registers[ESP32Registers.apbControlDate] = revision.major >= 3 ? 1 << 31 : 0
            // ROM crystal calibration: RTCCALICFG1 cali value 1024 (<<7) and eFuse CK8M_FREQ give
            // 1024 × 15625 × CK8M / 40 = the crystal (100 for 40 MHz, 65 for 26 MHz), so esptool's scaled rate is exact.
            registers[ESP32Registers.rtcCalibration] = 1024 << 7
            registers[ESP32Registers.efuseBlock0Word4] = UInt32(crystal * 100 / 40)
        case .efuse(let major, let minorParts):
            registers[major.address] = major.inserting(UInt32(revision.major), into: registers[major.address] ?? 0)
            var minor = UInt32(revision.minor)
            for part in minorParts.reversed() {
                registers[part.address] = part.inserting(minor, into: registers[part.address] ?? 0)
                minor >>= part.width
            }
        }
        if case .romExpectedCrystal(let register) = loader.baudRateScaling {
            registers[register] = UInt32(Self.c5ROMExpectedCrystal) << 24
        }
        return registers
    }

    static let esp32 = RomProfile(chip: .esp32, loader: .esp32, magicValue: 0x00F0_1D83, revision: ChipRevision(major: 3, minor: 0),
                                  defaultCrystalMHz: 40, crystals: [40, 26], macSuffix: 1, banner: ["ets Jun  8 2016 00:22:57", ""])
    static let esp32s2 = RomProfile(chip: .esp32s2, loader: .esp32s2, magicValue: 0x0000_07C6, revision: ChipRevision(major: 1, minor: 0),
                                    defaultCrystalMHz: 40, crystals: [40], macSuffix: 4,
                                    banner: ["ESP-ROM:esp32s2-rc4-20191025", "Build:Oct 25 2019"])
    static let esp32s3 = RomProfile(chip: .esp32s3, loader: .esp32s3, magicValue: 0x0000_0009, revision: ChipRevision(major: 0, minor: 0),
                                    defaultCrystalMHz: 40, crystals: [40], macSuffix: 2,
                                    banner: ["ESP-ROM:esp32s3-20210327", "Build:Mar 27 2021"])
    static let esp32c3 = RomProfile(chip: .esp32c3, loader: .esp32c3, magicValue: 0x1B31_506F, revision: ChipRevision(major: 0, minor: 0),
                                    defaultCrystalMHz: 40, crystals: [40], macSuffix: 3,
                                    banner: ["ESP-ROM:esp32c3-api1-20210207", "Build:Feb  7 2021"])
    static let esp32c2 = RomProfile(chip: .esp32c2, loader: .esp32c2, magicValue: 0x7C41_A06F, revision: ChipRevision(major: 1, minor: 0),
                                    defaultCrystalMHz: 26, crystals: [26, 40], macSuffix: 5,
                                    banner: ["ESP-ROM:esp8684-api2-20220127", "Build:Jan 27 2022"])
    static let esp32c6 = RomProfile(chip: .esp32c6, loader: .esp32c6, magicValue: 0x2CE0_806F, revision: ChipRevision(major: 0, minor: 1),
                                    defaultCrystalMHz: 40, crystals: [40], macSuffix: 6,
                                    banner: ["ESP-ROM:esp32c6-20220919", "Build:Sep 19 2022"])
    static let esp32c5 = RomProfile(chip: .esp32c5, loader: .esp32c5, magicValue: 0x63E1_406F, revision: ChipRevision(major: 1, minor: 0),
                                    defaultCrystalMHz: 48, crystals: [48, 40], macSuffix: 7,
                                    banner: ["ESP-ROM:esp32c5-eco2-20250121", "Build:Jan 21 2025"])
    static let esp32h2 = RomProfile(chip: .esp32h2, loader: .esp32h2, magicValue: 0xD7B7_3E80, revision: ChipRevision(major: 0, minor: 1),
                                    defaultCrystalMHz: 32, crystals: [32], macSuffix: 8,
                                    banner: ["ESP-ROM:esp32h2-20221101", "Build:Nov  1 2022"])
}
