// One literal per chip esptool 5.6.0 knows. Every value is from esptool 5.6.0 `targets/<chip>.py` (class
// attributes named in `ChipFacts`); inherited attributes were resolved by hand (C2 inherits C3, C5, C61, H2, H21
// and H4 inherit C6, S2/S3/C3/P4/E22 inherit ESP32, S31 inherits C5). The chips with `loader: nil` are read by the
// image tools only (image-info, merge-bin): this tool's flasher and emulator do not drive their ROMs.

/// `ESP32ROM.FLASH_SIZES`, inherited by every ESP32-family chip: the sizes of the one table that have a header code.
private let esp32FlashSizes: [(name: String, code: UInt8)] = FlashSize.table.compactMap { size in size.headerCode.map { (size.name, $0) } }

/// `ESP32ROM.FLASH_FREQUENCY`, inherited by S2, S3 and C3.
private let esp32Frequencies: [(name: String, code: UInt8)] = [("80m", 0xF), ("40m", 0x0), ("26m", 0x1), ("20m", 0x2)]

extension ChipFacts {
    public static let esp32 = ChipFacts(
        displayName: "ESP32", imageChipID: 0, imageFormat: .esp32, bootloaderOffset: 0x1000,
        flashFrequencies: esp32Frequencies, flashSizes: esp32FlashSizes,
        uf2FamilyID: 0x1C5F_21B0, iromMap: 0x400D_0000..<0x4040_0000, dromMap: 0x3F40_0000..<0x3F80_0000,
        features: ["Wi-Fi", "BT", "Dual Core"], loader: .esp32,
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
        displayName: "ESP32-S2", imageChipID: 2, imageFormat: .esp32, bootloaderOffset: 0x1000,
        flashFrequencies: esp32Frequencies, flashSizes: esp32FlashSizes,
        uf2FamilyID: 0xBFDD_4EEE, iromMap: 0x4008_0000..<0x40B8_0000, dromMap: 0x3F00_0000..<0x3F3F_0000,
        features: ["Wi-Fi", "Single Core"], loader: .esp32s2,
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
        displayName: "ESP32-S3", imageChipID: 9, imageFormat: .esp32, bootloaderOffset: 0x0,
        flashFrequencies: esp32Frequencies, flashSizes: esp32FlashSizes,
        uf2FamilyID: 0xC47E_5767, iromMap: 0x4200_0000..<0x4400_0000, dromMap: 0x3C00_0000..<0x3E00_0000,
        features: ["Wi-Fi", "BLE", "Dual Core"], loader: .esp32s3,
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
        displayName: "ESP32-C2", imageChipID: 12, imageFormat: .esp32, bootloaderOffset: 0x0,
        flashFrequencies: [("60m", 0xF), ("30m", 0x0), ("20m", 0x1), ("15m", 0x2)],
        flashSizes: esp32FlashSizes,
        uf2FamilyID: 0x2B88_D29C, iromMap: 0x4200_0000..<0x4240_0000, dromMap: 0x3C00_0000..<0x3C40_0000,
        features: ["Wi-Fi", "BLE", "Single Core"], loader: .esp32c2,
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
        displayName: "ESP32-C3", imageChipID: 5, imageFormat: .esp32, bootloaderOffset: 0x0,
        flashFrequencies: esp32Frequencies, flashSizes: esp32FlashSizes,
        uf2FamilyID: 0xD42B_A06C,
        iromMap: 0x4200_0000..<0x4280_0000, dromMap: 0x3C00_0000..<0x3C80_0000,
        features: ["Wi-Fi", "BLE", "Single Core"], loader: .esp32c3,
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
        displayName: "ESP32-C5", imageChipID: 23, imageFormat: .esp32, bootloaderOffset: 0x2000,
        flashFrequencies: [("80m", 0xF), ("40m", 0x0), ("20m", 0x2)],
        flashSizes: esp32FlashSizes,
        uf2FamilyID: 0xF71C_0343, iromMap: 0x4200_0000..<0x4400_0000, dromMap: 0x4200_0000..<0x4400_0000,
        features: ["Wi-Fi 6 (dual band)", "BLE", "802.15.4", "Single Core"], loader: .esp32c5,
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
        displayName: "ESP32-C6", imageChipID: 13, imageFormat: .esp32, bootloaderOffset: 0x0,
        flashFrequencies: [("80m", 0x0), ("40m", 0x0), ("20m", 0x2)],
        flashSizes: esp32FlashSizes,
        uf2FamilyID: 0x540D_DF62, iromMap: 0x4200_0000..<0x4280_0000, dromMap: 0x4280_0000..<0x4300_0000,
        features: ["Wi-Fi 6", "BLE", "802.15.4", "Single Core"], loader: .esp32c6,
        memoryMap: c6MemoryMap)

    public static let esp32h2 = ChipFacts(
        displayName: "ESP32-H2", imageChipID: 16, imageFormat: .esp32, bootloaderOffset: 0x0,
        flashFrequencies: [("48m", 0xF), ("24m", 0x0), ("16m", 0x1), ("12m", 0x2)],
        flashSizes: esp32FlashSizes,
        uf2FamilyID: 0x3327_26F6, iromMap: 0x4200_0000..<0x4280_0000, dromMap: 0x4280_0000..<0x4300_0000,
        features: ["BLE", "802.15.4", "Single Core"], loader: .esp32h2,
        memoryMap: c6MemoryMap)

    // MARK: Chips the image tools read (no ROM-loader support here)

    /// `ESP8266ROM`: images of its own format, its own flash size codes, no chip id.
    public static let esp8266 = ChipFacts(
        displayName: "ESP8266", imageChipID: nil, imageFormat: .esp8266, bootloaderOffset: 0x0,
        flashFrequencies: esp32Frequencies,
        flashSizes: [("512KB", 0x00), ("256KB", 0x10), ("1MB", 0x20), ("2MB", 0x30), ("4MB", 0x40), ("2MB-c1", 0x50),
                     ("4MB-c1", 0x60), ("8MB", 0x80), ("16MB", 0x90)],
        uf2FamilyID: 0x7EAB_61ED, iromMap: 0x4020_0000..<0x4030_0000, dromMap: 0..<0,
        features: [], loader: nil,
        memoryMap: [
            MemoryRegion(0x3FF0_0000, 0x3FF0_0010, "DPORT"),
            MemoryRegion(0x3FFE_8000, 0x4000_0000, "DRAM"),
            MemoryRegion(0x4010_0000, 0x4010_8000, "IRAM"),
            MemoryRegion(0x4020_1010, 0x402E_1010, "IROM"),
        ])

    public static let esp32c61 = ChipFacts(
        displayName: "ESP32-C61", imageChipID: 20, imageFormat: .esp32, bootloaderOffset: 0x0,
        flashFrequencies: [("80m", 0xF), ("40m", 0x0), ("20m", 0x2)], flashSizes: esp32FlashSizes,
        uf2FamilyID: 0x77D8_50C4, iromMap: 0x4200_0000..<0x4280_0000, dromMap: 0x4280_0000..<0x4300_0000,
        features: [], loader: nil,
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x4200_0000, 0x4400_0000, "DROM"),
            MemoryRegion(0x4080_0000, 0x4086_0000, "DRAM"),
            MemoryRegion(0x4080_0000, 0x4086_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x4004_AC00, 0x4005_0000, "DROM_MASK"),
            MemoryRegion(0x4000_0000, 0x4004_AC00, "IROM_MASK"),
            MemoryRegion(0x4200_0000, 0x4400_0000, "IROM"),
            MemoryRegion(0x4080_0000, 0x4086_0000, "IRAM"),
            MemoryRegion(0x5000_0000, 0x5000_4000, "RTC_IRAM"),
            MemoryRegion(0x5000_0000, 0x5000_4000, "RTC_DRAM"),
            MemoryRegion(0x600F_E000, 0x6010_0000, "MEM_INTERNAL2"),
        ])

    public static let esp32e22 = ChipFacts(
        displayName: "ESP32-E22", imageChipID: 31, imageFormat: .esp32, bootloaderOffset: 0x0,
        flashFrequencies: esp32Frequencies, flashSizes: esp32FlashSizes,
        uf2FamilyID: 0x1C5F_21B0, iromMap: 0x3C00_0000..<0x4000_0000, dromMap: 0x3C00_0000..<0x4000_0000,
        features: [], loader: nil,
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x3C00_0000, 0x4000_0000, "DROM"),
            MemoryRegion(0x3100_0000, 0x3120_0000, "DRAM"),
            MemoryRegion(0x3100_0000, 0x3120_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x3000_0000, 0x3012_0000, "DROM_MASK"),
            MemoryRegion(0x3000_0000, 0x3012_0000, "IROM_MASK"),
            MemoryRegion(0x3C00_0000, 0x4000_0000, "IROM"),
            MemoryRegion(0x30FE_0000, 0x3120_0000, "IRAM"),
            MemoryRegion(0xC000_0000, 0xC000_8000, "RTC_IRAM"),
            MemoryRegion(0xC000_0000, 0xC000_8000, "RTC_DRAM"),
        ])

    public static let esp32h21 = ChipFacts(
        displayName: "ESP32-H21", imageChipID: 25, imageFormat: .esp32, bootloaderOffset: 0x0,
        flashFrequencies: [("48m", 0xF), ("24m", 0x0)], flashSizes: esp32FlashSizes,
        uf2FamilyID: 0xB6DD_00AF, iromMap: 0x4200_0000..<0x4300_0000, dromMap: 0x4200_0000..<0x4300_0000,
        features: [], loader: nil,
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x4200_0000, 0x4300_0000, "DROM"),
            MemoryRegion(0x4080_0000, 0x4085_0000, "DRAM"),
            MemoryRegion(0x4080_0000, 0x4085_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x4000_0000, 0x4002_0000, "DROM_MASK"),
            MemoryRegion(0x4000_0000, 0x4002_0000, "IROM_MASK"),
            MemoryRegion(0x4200_0000, 0x4300_0000, "IROM"),
            MemoryRegion(0x4080_0000, 0x4085_0000, "IRAM"),
            MemoryRegion(0x5000_0000, 0x5000_1000, "RTC_IRAM"),
            MemoryRegion(0x5000_0000, 0x5000_1000, "RTC_DRAM"),
            MemoryRegion(0x4080_0000, 0x4085_0000, "MEM_INTERNAL"),
        ])

    public static let esp32p4 = ChipFacts(
        displayName: "ESP32-P4", imageChipID: 18, imageFormat: .esp32, bootloaderOffset: 0x2000,
        flashFrequencies: esp32Frequencies, flashSizes: esp32FlashSizes,
        uf2FamilyID: 0x3D30_8E94, iromMap: 0x4000_0000..<0x4C00_0000, dromMap: 0x4000_0000..<0x4C00_0000,
        features: [], loader: nil,
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x4000_0000, 0x4C00_0000, "DROM"),
            MemoryRegion(0x4FF0_0000, 0x4FFA_0000, "DRAM"),
            MemoryRegion(0x4FF0_0000, 0x4FFA_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x4FC0_0000, 0x4FC2_0000, "DROM_MASK"),
            MemoryRegion(0x4FC0_0000, 0x4FC2_0000, "IROM_MASK"),
            MemoryRegion(0x4000_0000, 0x4C00_0000, "IROM"),
            MemoryRegion(0x4FF0_0000, 0x4FFA_0000, "IRAM"),
            MemoryRegion(0x5010_8000, 0x5011_0000, "RTC_IRAM"),
            MemoryRegion(0x5010_8000, 0x5011_0000, "RTC_DRAM"),
            MemoryRegion(0x600F_E000, 0x6010_0000, "MEM_INTERNAL2"),
        ])

    public static let esp32h4 = ChipFacts(
        displayName: "ESP32-H4", imageChipID: 28, imageFormat: .esp32, bootloaderOffset: 0x2000,
        flashFrequencies: [("48m", 0xF), ("24m", 0x0)], flashSizes: esp32FlashSizes,
        uf2FamilyID: 0x9E0B_AA8A, iromMap: 0x4200_0000..<0x4400_0000, dromMap: 0x4200_0000..<0x4400_0000,
        features: [], loader: nil,
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x4200_0000, 0x4400_0000, "DROM"),
            MemoryRegion(0x4081_0000, 0x4086_0000, "DRAM"),
            MemoryRegion(0x4081_0000, 0x4086_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x4000_0000, 0x4002_0000, "DROM_MASK"),
            MemoryRegion(0x4000_0000, 0x4002_0000, "IROM_MASK"),
            MemoryRegion(0x4200_0000, 0x4400_0000, "IROM"),
            MemoryRegion(0x4081_0000, 0x4086_0000, "IRAM"),
            MemoryRegion(0x4081_0000, 0x4086_0000, "MEM_INTERNAL"),
        ])

    public static let esp32s31 = ChipFacts(
        displayName: "ESP32-S31", imageChipID: 32, imageFormat: .esp32, bootloaderOffset: 0x2000,
        flashFrequencies: [("80m", 0xF), ("40m", 0x0), ("20m", 0x2)], flashSizes: esp32FlashSizes,
        uf2FamilyID: 0x3101_F7C1, iromMap: 0x4000_0000..<0x5400_0000, dromMap: 0x4000_0000..<0x5400_0000,
        features: [], loader: nil,
        memoryMap: [
            MemoryRegion(0x0000_0000, 0x0001_0000, "PADDING"),
            MemoryRegion(0x4000_0000, 0x5400_0000, "DROM"),
            MemoryRegion(0x2F00_0000, 0x2F08_0000, "DRAM"),
            MemoryRegion(0x2F00_0000, 0x2F08_0000, "BYTE_ACCESSIBLE"),
            MemoryRegion(0x2F80_0000, 0x2F85_0000, "DROM_MASK"),
            MemoryRegion(0x2F80_0000, 0x2F85_0000, "IROM_MASK"),
            MemoryRegion(0x4000_0000, 0x5400_0000, "IROM"),
            MemoryRegion(0x2F00_0000, 0x2F08_0000, "IRAM"),
            MemoryRegion(0x2E00_0000, 0x2E00_8000, "RTC_IRAM"),
            MemoryRegion(0x2E00_0000, 0x2E00_8000, "RTC_DRAM"),
        ])

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

// MARK: - ROM loaders (the chips the flasher and emulator drive)

private func field(_ address: UInt32, _ shift: UInt32, _ width: UInt32) -> EfuseField { EfuseField(address, shift: shift, width: width) }

extension LoaderFacts {
    public static let esp32 = LoaderFacts(
        magicValues: [0x00F0_1D83],
        securityInfo: .unsupported, flashBeginWords: 4, macWords: (0x3FF5_A004, 0x3FF5_A008),
        spi: SPIRegisters(base: 0x3FF4_2000, layout: .esp32), flashPins: .esp32Efuse,
        crystal: .uartDivider(register: ESP32Registers.uartClockDivider), baudRateScaling: .esp32ROMClock, revision: .esp32,
        security: SecurityFuses(cryptCount: field(0x3FF5_A000, 20, 7), secureBoot: field(0x3FF5_A018, 5, 1),
                                secureBootV1: field(0x3FF5_A018, 4, 1), manualEncryptDisabled: field(0x3FF5_A018, 7, 1)),
        usbSerialJTAG: nil, forceDownloadBootRegister: nil)

    public static let esp32s2 = LoaderFacts(
        magicValues: [0x0000_07C6],
        securityInfo: .withoutChipID, flashBeginWords: 5, macWords: (0x3F41_A044, 0x3F41_A048),
        spi: SPIRegisters(base: 0x3F40_2000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(40), baudRateScaling: .none,
        revision: .efuse(major: field(0x3F41_A050, 18, 2), minor: [field(0x3F41_A050, 20, 1), field(0x3F41_A054, 4, 3)]),
        security: SecurityFuses(cryptCount: field(0x3F41_A034, 18, 3), secureBoot: field(0x3F41_A038, 20, 1),
                                secureBootV1: nil, manualEncryptDisabled: field(0x3F41_A030, 19, 1)),
        usbSerialJTAG: nil, forceDownloadBootRegister: nil)

    public static let esp32s3 = LoaderFacts(
        magicValues: [0x9],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x6000_7044, 0x6000_7048),
        spi: SPIRegisters(base: 0x6000_2000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(40), baudRateScaling: .none,
        revision: .efuse(major: field(0x6000_7058, 24, 2), minor: [field(0x6000_7058, 23, 1), field(0x6000_7050, 18, 3)]),
        security: SecurityFuses(cryptCount: field(0x6000_7034, 18, 3), secureBoot: field(0x6000_7038, 20, 1),
                                secureBootV1: nil, manualEncryptDisabled: field(0x6000_7030, 20, 1)),
        usbSerialJTAG: USBSerialJTAGFacts(rtcWatchdogConfig0: 0x6000_8098, rtcWatchdogWriteProtect: 0x6000_80B0, superWatchdogConfig: 0x6000_80B4,
                                          superWatchdogWriteProtect: 0x6000_80B8, superWatchdogKey: 0x8F1D_312A, superWatchdogAutoFeed: 1 << 31),
        forceDownloadBootRegister: 0x6000_812C)

    public static let esp32c2 = LoaderFacts(
        magicValues: [0x6F51_306F, 0x7C41_A06F, 0x0C21_E06F],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x6000_8840, 0x6000_8844),
        spi: SPIRegisters(base: 0x6000_2000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .uartDivider(register: 0x6000_0014), baudRateScaling: .romAssumes40MHz,
        revision: .efuse(major: field(0x6000_8844, 20, 2), minor: [field(0x6000_8844, 16, 4)]),
        security: SecurityFuses(cryptCount: field(0x6000_8830, 7, 3), secureBoot: field(0x6000_8830, 21, 1),
                                secureBootV1: nil, manualEncryptDisabled: field(0x6000_8830, 6, 1)),
        usbSerialJTAG: nil, forceDownloadBootRegister: nil)

    public static let esp32c3 = LoaderFacts(
        magicValues: [0x6921_506F, 0x1B31_506F, 0x4881_606F, 0x4361_606F],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x6000_8844, 0x6000_8848),
        spi: SPIRegisters(base: 0x6000_2000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(40), baudRateScaling: .none,
        revision: .efuse(major: field(0x6000_8858, 24, 2), minor: [field(0x6000_8858, 23, 1), field(0x6000_8850, 18, 3)]),
        security: SecurityFuses(cryptCount: field(0x6000_8834, 18, 3), secureBoot: field(0x6000_8838, 20, 1),
                                secureBootV1: nil, manualEncryptDisabled: field(0x6000_8830, 20, 1)),
        usbSerialJTAG: USBSerialJTAGFacts(rtcWatchdogConfig0: 0x6000_8090, rtcWatchdogWriteProtect: 0x6000_80A8, superWatchdogConfig: 0x6000_80AC,
                                          superWatchdogWriteProtect: 0x6000_80B0, superWatchdogKey: 0x8F1D_312A, superWatchdogAutoFeed: 1 << 31),
        forceDownloadBootRegister: nil)

    public static let esp32c5 = LoaderFacts(
        magicValues: [0x1101_406F, 0x63E1_406F],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x600B_4844, 0x600B_4848),
        spi: SPIRegisters(base: 0x6000_3000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .uartDivider(register: 0x6000_0014), baudRateScaling: .romExpectedCrystal(register: 0x6009_6110),
        revision: .efuse(major: field(0x600B_484C, 4, 2), minor: [field(0x600B_484C, 0, 4)]),
        security: SecurityFuses(cryptCount: field(0x600B_4834, 16, 3), secureBoot: field(0x600B_4838, 25, 1),
                                secureBootV1: nil, manualEncryptDisabled: field(0x600B_4830, 20, 1)),
        usbSerialJTAG: lpWatchdogC6, forceDownloadBootRegister: nil)

    public static let esp32c6 = LoaderFacts(
        magicValues: [0x2CE0_806F],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x600B_0844, 0x600B_0848),
        spi: SPIRegisters(base: 0x6000_3000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(40), baudRateScaling: .none,
        revision: .efuse(major: field(0x600B_0850, 22, 2), minor: [field(0x600B_0850, 18, 4)]),
        security: SecurityFuses(cryptCount: field(0x600B_0834, 18, 3), secureBoot: field(0x600B_0838, 20, 1),
                                secureBootV1: nil, manualEncryptDisabled: field(0x600B_0830, 20, 1)),
        usbSerialJTAG: lpWatchdogC6, forceDownloadBootRegister: nil)

    public static let esp32h2 = LoaderFacts(
        magicValues: [0xD7B7_3E80],
        securityInfo: .withChipID, flashBeginWords: 5, macWords: (0x600B_0844, 0x600B_0848),
        spi: SPIRegisters(base: 0x6000_3000, layout: .spiMem), flashPins: .defaultPins,
        crystal: .fixed(32), baudRateScaling: .none,
        revision: .efuse(major: field(0x600B_0850, 21, 2), minor: [field(0x600B_0850, 18, 3)]),
        security: SecurityFuses(cryptCount: field(0x600B_0834, 18, 3), secureBoot: field(0x600B_0838, 20, 1),
                                secureBootV1: nil, manualEncryptDisabled: field(0x600B_0830, 20, 1)),
        usbSerialJTAG: USBSerialJTAGFacts(rtcWatchdogConfig0: 0x600B_1C00, rtcWatchdogWriteProtect: 0x600B_1C1C, superWatchdogConfig: 0x600B_1C20,
                                          superWatchdogWriteProtect: 0x600B_1C24, superWatchdogKey: 0x50D8_3AA1, superWatchdogAutoFeed: 1 << 18),
        forceDownloadBootRegister: nil)

    /// `ESP32C6ROM`'s LP watchdog (base 0x600B1C00), inherited by the C5; the H2 moves its protect registers by 4.
    private static let lpWatchdogC6 = USBSerialJTAGFacts(
        rtcWatchdogConfig0: 0x600B_1C00, rtcWatchdogWriteProtect: 0x600B_1C18, superWatchdogConfig: 0x600B_1C1C,
        superWatchdogWriteProtect: 0x600B_1C20, superWatchdogKey: 0x50D8_3AA1, superWatchdogAutoFeed: 1 << 18)
}
