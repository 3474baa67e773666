/// Everything this tool knows about one chip, for the image tools (merge-bin, image-info), the flasher client
/// and the emulator. One literal per chip in Chip+Table.swift; the memberwise init makes each literal fill
/// every field.
///
/// Sources (esptool 5.6.0 `targets/esp*.py`, summarised in reference/esptool.md §5.2 and §6): `IMAGE_CHIP_ID`,
/// `BOOTLOADER_FLASH_OFFSET`, `FLASH_FREQUENCY`, `FLASH_SIZES`, `UF2_FAMILY_ID`, `IROM_MAP_*`/`DROM_MAP_*`,
/// `MEMORY_MAP`, `CHIP_DETECT_MAGIC_VALUE`, `SPI_REG_BASE` and the `SPI_*_OFFS`, `MAC_EFUSE_REG`/`EFUSE_BLOCK1_ADDR`,
/// `XTAL_CLK_DIVIDER`/`UART_CLKDIV_REG`, `get_major_chip_version`/`get_minor_chip_version`.
public struct ChipFacts: Sendable {
    // MARK: Image

    /// The name esptool prints: `ESP32-C3`.
    public let displayName: String
    /// Image header bytes 12–13 and the GET_SECURITY_INFO chip id; nil for the ESP8266, whose images have no
    /// extended header.
    public let imageChipID: UInt16?
    /// How its application and bootloader images are laid out.
    public let imageFormat: FirmwareImageFormat
    /// Flash address of the second-stage bootloader; merge-bin and write-flash patch the image header found here.
    public let bootloaderOffset: Int
    /// Low nibble of image header byte 3, in esptool's dictionary order (image-info prints the first name whose
    /// code matches, so a C6 image with code 0 reads as `80m`).
    public let flashFrequencies: [(name: String, code: UInt8)]
    /// High nibble of image header byte 3 (`FLASH_SIZES`): the ESP32 family's table, or the ESP8266's own.
    public let flashSizes: [(name: String, code: UInt8)]
    /// UF2 `familyID` (microsoft/uf2 `utils/uf2families.json`).
    public let uf2FamilyID: UInt32
    /// Flash-mapped instruction and data windows (`IROM_MAP_START..END`, `DROM_MAP_START..END`).
    public let iromMap: Range<UInt32>
    public let dromMap: Range<UInt32>
    /// What the family has, from the datasheet (eFuse-dependent details such as package are not read); empty for
    /// chips only the image tools know.
    public let features: [String]
    /// The ROM loader as this tool's flasher and emulator drive it; nil for chips esptool knows that only the image
    /// tools here read (image-info, merge-bin).
    public let loader: LoaderFacts?

    /// Named address ranges image-info uses to label segments, in esptool's order (declared last: it is the
    /// longest field of a literal).
    public let memoryMap: [MemoryRegion]
}

/// The two image layouts esptool reads (`bin_image.py`).
public enum FirmwareImageFormat: Sendable, Hashable {
    /// 0xE9, 8-byte header, 16-byte extended header (chip id, revisions, hash-appended flag), segments, checksum,
    /// optional SHA-256 (`ESP32FirmwareImage`).
    case esp32
    /// The ESP8266's: version 1 (0xE9, header and segments only, `ESP8266ROMFirmwareImage`) or version 2 (0xEA, an
    /// IROM segment before a second header, `ESP8266V2FirmwareImage`).
    case esp8266
}

/// What the host needs to drive a chip's ROM loader (and what the emulator plays back).
public struct LoaderFacts: Sendable {
    /// Values of the ROM's magic register (`Chip.magicRegister`). The ESP32 and ESP32-S2 are detected by them;
    /// the later chips by GET_SECURITY_INFO's chip id, their values serving only when that reply has none (as
    /// esptool before 4.9 matched them).
    public let magicValues: [UInt32]
    /// What GET_SECURITY_INFO answers.
    public let securityInfo: SecurityInfoReply
    /// Words in the ROM's FLASH_BEGIN / FLASH_DEFL_BEGIN: 4 on the ESP32, 5 (with `encrypted`) after it.
    public let flashBeginWords: Int
    /// The two eFuse words holding the base MAC: `low` has its last four bytes, `high` its first two.
    public let macWords: (low: UInt32, high: UInt32)
    /// The SPI1 / SPIMEM1 controller esptool drives for flash commands (RDID, SFDP).
    public let spi: SPIRegisters
    /// Where SPI_ATTACH's pin configuration comes from.
    public let flashPins: FlashPinSource
    /// How the crystal frequency is known.
    public let crystal: CrystalSource
    /// Whether CHANGE_BAUDRATE's value must be scaled by the ROM's clock calibration.
    public let baudRateScaling: BaudRateScaling
    /// Where the chip revision is read from.
    public let revision: RevisionSource
    /// The eFuses that tell flash encryption and secure boot.
    public let security: SecurityFuses
    /// The USB-Serial/JTAG peripheral's watchdog registers; nil on chips without one (ESP32, S2, C2).
    public let usbSerialJTAG: USBSerialJTAGFacts?
    /// `RTC_CNTL_OPTION1`, whose bit 0 forces download boot after a USB reset; esptool clears it before a hard reset
    /// (ESP32-S3 only).
    public let forceDownloadBootRegister: UInt32?
}
