// One literal per supported chip. Every value is from esptool 5.6.0 `targets/<chip>.py` (class attributes named
// in `ChipFacts`); inherited attributes were resolved by hand (C2 inherits C3, C5 and H2 inherit C6, S2/S3/C3
// inherit ESP32).

/// `ESP32ROM.FLASH_FREQUENCY`, inherited by S2, S3 and C3.
private let esp32Frequencies: [(name: String, code: UInt8)] = [("80m", 0xF), ("40m", 0x0), ("26m", 0x1), ("20m", 0x2)]

extension ChipFacts {
    public static let esp32 = ChipFacts(
        displayName: "ESP32", imageChipID: 0, bootloaderOffset: 0x1000,
        flashFrequencies: esp32Frequencies, uf2FamilyID: 0x1C5F_21B0, iromMap: 0x400D_0000..<0x4040_0000, dromMap: 0x3F40_0000..<0x3F80_0000,
        magicValues: [0x00F0_1D83],
        securityInfo: .unsupported, flashBeginWords: 4, macWords: (0x3FF5_A004, 0x3FF5_A008),
        spi: SPIRegisters(base: 0x3FF4_2000, layout: .esp32), flashPins: .esp32Efuse,
        crystal: .uartDivider(register: ESP32Registers.uartClockDivider), baudRateScaling: .esp32ROMClock, revision: .esp32,
        security: SecurityFuses(cryptCount: EfuseField(0x3FF5_A000, shift: 20, width: 7), secureBoot: EfuseField(0x3FF5_A018, shift: 5, width: 1),
                                secureBootV1: EfuseField(0x3FF5_A018, shift: 4, width: 1), manualEncryptDisabled: EfuseField(0x3FF5_A018, shift: 7, width: 1)),
        usbSerialJTAG: nil, forceDownloadBootRegister: nil,
        features: ["Wi-Fi", "BT", "Dual Core"],
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x3F40_0000, 0x3F80_0000, "DROM"),
            MemoryRegion(0x3F80_0000, 0x3FC0_0000, "EXTRAM_DATA"),
            MemoryRegion(0x3FF8_0000, 0x3FF8_2000, "RTC_DRAM"),
            MemoryRegion(0x3FF9_0000, 0x4000_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x3FFA_E000, 0x4000_0000, "DRAM"),
            MemoryRegion(0x3FFE_0000, 0x3FFF_FFFC, "DIRAM_DRAM"),
            MemoryRegion(0x4000_0000, 0x4007_0000, "IROM"),
            MemoryRegion(0x4007_0000, 0x4007_8000, "CACHE_PRO"),
            MemoryRegion(0x4007_8000, 0x4008_0000, "CACHE_APP"),
            MemoryRegion(0x4008_0000, 0x400A_0000, "IRAM"),
            MemoryRegion(0x400A_0000, 0x400B_FFFC, "DIRAM_IRAM"),
            MemoryRegion(0x400C_0000, 0x400C_2000, "RTC_IRAM"),
            MemoryRegion(0x400D_0000, 0x4040_0000, "IROM"),
            MemoryRegion(0x5000_0000, 0x5000_2000, "RTC_DATA"),
        ])

    public static let esp32s2 = ChipFacts(
        displayName: "ESP32-S2", imageChipID: 2, bootloaderOffset: 0x1000,
        flashFrequencies: esp32Frequencies, uf2FamilyID: 0xBFDD_4EEE, iromMap: 0x4008_0000..<0x40B8_0000, dromMap: 0x3F00_0000..<0x3F3F_0000,
        magicValues: [0x0000_07C6],
        securityInfo: .withoutChipID, flashBeginWords: 5, macWords: (0x3F41_A044, 0x3F41_A048),
        spi: SPIRegisters(base: 0x3F40_2000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(40), baudRateScaling: .none,
        revision: .efuse(major: EfuseField(0x3F41_A050, shift: 18, width: 2), minor: [EfuseField(0x3F41_A050, shift: 20, width: 1), EfuseField(0x3F41_A054, shift: 4, width: 3)]),
        security: SecurityFuses(cryptCount: EfuseField(0x3F41_A034, shift: 18, width: 3), secureBoot: EfuseField(0x3F41_A038, shift: 20, width: 1),
                                secureBootV1: nil, manualEncryptDisabled: EfuseField(0x3F41_A030, shift: 19, width: 1)),
        usbSerialJTAG: nil, forceDownloadBootRegister: nil,
        features: ["Wi-Fi", "Single Core"],
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x3F00_0000, 0x3FF8_0000, "DROM"),
            MemoryRegion(0x3F50_0000, 0x3FF8_0000, "EXTRAM_DATA"),
            MemoryRegion(0x3FF9_E000, 0x3FFA_0000, "RTC_DRAM"),
            MemoryRegion(0x3FF9_E000, 0x4000_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x3FF9_E000, 0x4007_2000, "MEM_INTERNAL"),
            MemoryRegion(0x3FFB_0000, 0x4000_0000, "DRAM"),
            MemoryRegion(0x4000_0000, 0x4001_A100, "IROM_MASK"),
            MemoryRegion(0x4002_0000, 0x4007_0000, "IRAM"),
            MemoryRegion(0x4007_0000, 0x4007_2000, "RTC_IRAM"),
            MemoryRegion(0x4008_0000, 0x4080_0000, "IROM"),
            MemoryRegion(0x5000_0000, 0x5000_2000, "RTC_DATA"),
        ])

    public static let esp32s3 = ChipFacts(
        displayName: "ESP32-S3", imageChipID: 9, bootloaderOffset: 0x0,
        flashFrequencies: esp32Frequencies, uf2FamilyID: 0xC47E_5767, iromMap: 0x4200_0000..<0x4400_0000, dromMap: 0x3C00_0000..<0x3E00_0000,
        magicValues: [0x9],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x6000_7044, 0x6000_7048),
        spi: SPIRegisters(base: 0x6000_2000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(40), baudRateScaling: .none,
        revision: .efuse(major: EfuseField(0x6000_7058, shift: 24, width: 2), minor: [EfuseField(0x6000_7058, shift: 23, width: 1), EfuseField(0x6000_7050, shift: 18, width: 3)]),
        security: SecurityFuses(cryptCount: EfuseField(0x6000_7034, shift: 18, width: 3), secureBoot: EfuseField(0x6000_7038, shift: 20, width: 1),
                                secureBootV1: nil, manualEncryptDisabled: EfuseField(0x6000_7030, shift: 20, width: 1)),
        usbSerialJTAG: USBSerialJTAGFacts(rtcWatchdogConfig0: 0x6000_8098, rtcWatchdogWriteProtect: 0x6000_80B0, superWatchdogConfig: 0x6000_80B4,
                                           superWatchdogWriteProtect: 0x6000_80B8, superWatchdogKey: 0x8F1D_312A, superWatchdogAutoFeed: 1 << 31), forceDownloadBootRegister: 0x6000_812C,
        features: ["Wi-Fi", "BLE", "Dual Core"],
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x3C00_0000, 0x3D00_0000, "DROM"),
            MemoryRegion(0x3D00_0000, 0x3E00_0000, "EXTRAM_DATA"),
            MemoryRegion(0x600F_E000, 0x6010_0000, "RTC_DRAM"),
            MemoryRegion(0x3FC8_8000, 0x3FD0_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x3FC8_8000, 0x403E_2000, "MEM_INTERNAL"),
            MemoryRegion(0x3FC8_8000, 0x3FD0_0000, "DRAM"),
            MemoryRegion(0x4000_0000, 0x4001_A100, "IROM_MASK"),
            MemoryRegion(0x4037_0000, 0x403E_0000, "IRAM"),
            MemoryRegion(0x600F_E000, 0x6010_0000, "RTC_IRAM"),
            MemoryRegion(0x4200_0000, 0x4280_0000, "IROM"),
            MemoryRegion(0x5000_0000, 0x5000_2000, "RTC_DATA"),
        ])

    public static let esp32c2 = ChipFacts(
        displayName: "ESP32-C2", imageChipID: 12, bootloaderOffset: 0x0,
        flashFrequencies: [("60m", 0xF), ("30m", 0x0), ("20m", 0x1), ("15m", 0x2)],
        uf2FamilyID: 0x2B88_D29C, iromMap: 0x4200_0000..<0x4240_0000, dromMap: 0x3C00_0000..<0x3C40_0000,
        magicValues: [0x6F51_306F, 0x7C41_A06F, 0x0C21_E06F],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x6000_8840, 0x6000_8844),
        spi: SPIRegisters(base: 0x6000_2000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .uartDivider(register: 0x6000_0014), baudRateScaling: .romAssumes40MHz,
        revision: .efuse(major: EfuseField(0x6000_8844, shift: 20, width: 2), minor: [EfuseField(0x6000_8844, shift: 16, width: 4)]),
        security: SecurityFuses(cryptCount: EfuseField(0x6000_8830, shift: 7, width: 3), secureBoot: EfuseField(0x6000_8830, shift: 21, width: 1),
                                secureBootV1: nil, manualEncryptDisabled: EfuseField(0x6000_8830, shift: 6, width: 1)),
        usbSerialJTAG: nil, forceDownloadBootRegister: nil,
        features: ["Wi-Fi", "BLE", "Single Core"],
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x3C00_0000, 0x3C40_0000, "DROM"),
            MemoryRegion(0x3FCA_0000, 0x3FCE_0000, "DRAM"),
            MemoryRegion(0x3FC8_8000, 0x3FD0_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x3FF0_0000, 0x3FF5_0000, "DROM_MASK"),
            MemoryRegion(0x4000_0000, 0x4009_0000, "IROM_MASK"),
            MemoryRegion(0x4200_0000, 0x4240_0000, "IROM"),
            MemoryRegion(0x4037_C000, 0x403C_0000, "IRAM"),
        ])

    public static let esp32c3 = ChipFacts(
        displayName: "ESP32-C3", imageChipID: 5, bootloaderOffset: 0x0,
        flashFrequencies: esp32Frequencies, uf2FamilyID: 0xD42B_A06C,
        iromMap: 0x4200_0000..<0x4280_0000, dromMap: 0x3C00_0000..<0x3C80_0000,
        magicValues: [0x6921_506F, 0x1B31_506F, 0x4881_606F, 0x4361_606F],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x6000_8844, 0x6000_8848),
        spi: SPIRegisters(base: 0x6000_2000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(40), baudRateScaling: .none,
        revision: .efuse(major: EfuseField(0x6000_8858, shift: 24, width: 2), minor: [EfuseField(0x6000_8858, shift: 23, width: 1), EfuseField(0x6000_8850, shift: 18, width: 3)]),
        security: SecurityFuses(cryptCount: EfuseField(0x6000_8834, shift: 18, width: 3), secureBoot: EfuseField(0x6000_8838, shift: 20, width: 1),
                                secureBootV1: nil, manualEncryptDisabled: EfuseField(0x6000_8830, shift: 20, width: 1)),
        usbSerialJTAG: USBSerialJTAGFacts(rtcWatchdogConfig0: 0x6000_8090, rtcWatchdogWriteProtect: 0x6000_80A8, superWatchdogConfig: 0x6000_80AC,
                                           superWatchdogWriteProtect: 0x6000_80B0, superWatchdogKey: 0x8F1D_312A, superWatchdogAutoFeed: 1 << 31), forceDownloadBootRegister: nil,
        features: ["Wi-Fi", "BLE", "Single Core"],
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x3C00_0000, 0x3C80_0000, "DROM"),
            MemoryRegion(0x3FC8_0000, 0x3FCE_0000, "DRAM"),
            MemoryRegion(0x3FC8_8000, 0x3FD0_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x3FF0_0000, 0x3FF2_0000, "DROM_MASK"),
            MemoryRegion(0x4000_0000, 0x4006_0000, "IROM_MASK"),
            MemoryRegion(0x4200_0000, 0x4280_0000, "IROM"),
            MemoryRegion(0x4037_C000, 0x403E_0000, "IRAM"),
            MemoryRegion(0x5000_0000, 0x5000_2000, "RTC_IRAM"),
            MemoryRegion(0x5000_0000, 0x5000_2000, "RTC_DRAM"),
            MemoryRegion(0x600F_E000, 0x6010_0000, "MEM_INTERNAL2"),
        ])

    public static let esp32c5 = ChipFacts(
        displayName: "ESP32-C5", imageChipID: 23, bootloaderOffset: 0x2000,
        flashFrequencies: [("80m", 0xF), ("40m", 0x0), ("20m", 0x2)],
        uf2FamilyID: 0xF71C_0343, iromMap: 0x4200_0000..<0x4400_0000, dromMap: 0x4200_0000..<0x4400_0000,
        magicValues: [0x1101_406F, 0x63E1_406F],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x600B_4844, 0x600B_4848),
        spi: SPIRegisters(base: 0x6000_3000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .uartDivider(register: 0x6000_0014), baudRateScaling: .romExpectedCrystal(register: 0x6009_6110),
        revision: .efuse(major: EfuseField(0x600B_484C, shift: 4, width: 2), minor: [EfuseField(0x600B_484C, shift: 0, width: 4)]),
        security: SecurityFuses(cryptCount: EfuseField(0x600B_4834, shift: 16, width: 3), secureBoot: EfuseField(0x600B_4838, shift: 25, width: 1),
                                secureBootV1: nil, manualEncryptDisabled: EfuseField(0x600B_4830, shift: 20, width: 1)),
        usbSerialJTAG: lpWatchdogC6, forceDownloadBootRegister: nil,
        features: ["Wi-Fi 6 (dual band)", "BLE", "802.15.4", "Single Core"],
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x4200_0000, 0x4400_0000, "DROM"),
            MemoryRegion(0x4080_0000, 0x4086_0000, "DRAM"),
            MemoryRegion(0x4080_0000, 0x4086_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x4003_A000, 0x4004_0000, "DROM_MASK"),
            MemoryRegion(0x4000_0000, 0x4003_A000, "IROM_MASK"),
            MemoryRegion(0x4200_0000, 0x4400_0000, "IROM"),
            MemoryRegion(0x4080_0000, 0x4086_0000, "IRAM"),
            MemoryRegion(0x5000_0000, 0x5000_4000, "RTC_IRAM"),
            MemoryRegion(0x5000_0000, 0x5000_4000, "RTC_DRAM"),
            MemoryRegion(0x600F_E000, 0x6010_0000, "MEM_INTERNAL2"),
        ])

    /// `esp32c6.py` maps 80m to code 0 on purpose ("workaround for wrong mspi HS div value in ROM").
    public static let esp32c6 = ChipFacts(
        displayName: "ESP32-C6", imageChipID: 13, bootloaderOffset: 0x0,
        flashFrequencies: [("80m", 0x0), ("40m", 0x0), ("20m", 0x2)],
        uf2FamilyID: 0x540D_DF62, iromMap: 0x4200_0000..<0x4280_0000, dromMap: 0x4280_0000..<0x4300_0000,
        magicValues: [0x2CE0_806F],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x600B_0844, 0x600B_0848),
        spi: SPIRegisters(base: 0x6000_3000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(40), baudRateScaling: .none,
        revision: .efuse(major: EfuseField(0x600B_0850, shift: 22, width: 2), minor: [EfuseField(0x600B_0850, shift: 18, width: 4)]),
        security: SecurityFuses(cryptCount: EfuseField(0x600B_0834, shift: 18, width: 3), secureBoot: EfuseField(0x600B_0838, shift: 20, width: 1),
                                secureBootV1: nil, manualEncryptDisabled: EfuseField(0x600B_0830, shift: 20, width: 1)),
        usbSerialJTAG: lpWatchdogC6, forceDownloadBootRegister: nil,
        features: ["Wi-Fi 6", "BLE", "802.15.4", "Single Core"],
        memoryMap: c6MemoryMap)

    public static let esp32h2 = ChipFacts(
        displayName: "ESP32-H2", imageChipID: 16, bootloaderOffset: 0x0,
        flashFrequencies: [("48m", 0xF), ("24m", 0x0), ("16m", 0x1), ("12m", 0x2)],
        uf2FamilyID: 0x3327_26F6, iromMap: 0x4200_0000..<0x4280_0000, dromMap: 0x4280_0000..<0x4300_0000,
        magicValues: [0xD7B7_3E80],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x600B_0844, 0x600B_0848),
        spi: SPIRegisters(base: 0x6000_3000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(32), baudRateScaling: .none,
        revision: .efuse(major: EfuseField(0x600B_0850, shift: 21, width: 2), minor: [EfuseField(0x600B_0850, shift: 18, width: 3)]),
        security: SecurityFuses(cryptCount: EfuseField(0x600B_0834, shift: 18, width: 3), secureBoot: EfuseField(0x600B_0838, shift: 20, width: 1),
                                secureBootV1: nil, manualEncryptDisabled: EfuseField(0x600B_0830, shift: 20, width: 1)),
        usbSerialJTAG: USBSerialJTAGFacts(rtcWatchdogConfig0: 0x600B_1C00, rtcWatchdogWriteProtect: 0x600B_1C1C, superWatchdogConfig: 0x600B_1C20,
                                           superWatchdogWriteProtect: 0x600B_1C24, superWatchdogKey: 0x50D8_3AA1, superWatchdogAutoFeed: 1 << 18), forceDownloadBootRegister: nil,
        features: ["BLE", "802.15.4", "Single Core"],
        memoryMap: c6MemoryMap)

    /// `ESP32C6ROM`'s LP watchdog (base 0x600B1C00), inherited by the C5; the H2 moves its protect registers by 4.
    private static let lpWatchdogC6 = USBSerialJTAGFacts(
        rtcWatchdogConfig0: 0x600B_1C00, rtcWatchdogWriteProtect: 0x600B_1C18, superWatchdogConfig: 0x600B_1C1C,
        superWatchdogWriteProtect: 0x600B_1C20, superWatchdogKey: 0x50D8_3AA1, superWatchdogAutoFeed: 1 << 18)

    /// `ESP32C6ROM.MEMORY_MAP`, inherited by the H2.
    private static let c6MemoryMap: [MemoryRegion] = [
        MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
        MemoryRegion(0x4200_0000, 0x4300_0000, "DROM"),
        MemoryRegion(0x4080_0000, 0x4088_0000, "DRAM"),
        MemoryRegion(0x4080_0000, 0x4088_0000, "BYTE_ACCESSIBLE"),
        MemoryRegion(0x4004_AC00, 0x4005_0000, "DROM_MASK"),
        MemoryRegion(0x4000_0000, 0x4004_AC00, "IROM_MASK"),
        MemoryRegion(0x4200_0000, 0x4300_0000, "IROM"),
        MemoryRegion(0x4080_0000, 0x4088_0000, "IRAM"),
        MemoryRegion(0x5000_0000, 0x5000_4000, "RTC_IRAM"),
        MemoryRegion(0x5000_0000, 0x5000_4000, "RTC_DRAM"),
        MemoryRegion(0x600F_E000, 0x6010_0000, "MEM_INTERNAL2"),
    ]
}
