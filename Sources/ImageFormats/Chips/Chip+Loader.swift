/// The ROM-loader facet of the chip table: how the host detects a chip and which registers it reads.
/// Facts from esptool 5.6.0 `targets/esp32*.py` and `loader.py` (reference/esptool.md §5.2, §6).
extension Chip {
    /// ROM register the chip-detect magic value is read from (`ESPLoader.CHIP_DETECT_MAGIC_REG_ADDR`).
    public static let magicRegister: UInt32 = 0x4000_1000

    /// The ROM loader sends flash addresses as 24 bits: everything at or past 16 MB wraps to the start of the
    /// flash (only a flasher stub on a chip with 32-bit addressing reaches further; esptool `check_flash_size`).
    public static let romAddressLimit = 1 << 24

    /// Whether esptool's `detect_chip` recognises this chip by GET_SECURITY_INFO's chip id (S3 and later) rather
    /// than by the magic register (ESP32: no command; ESP32-S2: a reply without chip id).
    public var isDetectedByChipID: Bool {
        switch facts.loader?.securityInfo {
        case .withChipID: true
        case .unsupported, .withoutChipID, nil: false
        }
    }

    /// The flasher chip whose GET_SECURITY_INFO chip id is `id` (only chips detected that way).
    public static func withSecurityInfoChipID(_ id: UInt32) -> Chip? {
        flasherChips.first { $0.isDetectedByChipID && $0.imageChipID.map(UInt32.init) == id }
    }

    /// The flasher chip whose magic register holds `value`: the ESP32 and ESP32-S2 values, or a later chip's value
    /// from before esptool 4.9 (used only when GET_SECURITY_INFO gave no chip id). No value belongs to two chips.
    public static func withMagicValue(_ value: UInt32) -> Chip? {
        flasherChips.first { $0.loader?.magicValues.contains(value) == true }
    }

    /// A chip esptool knows by this GET_SECURITY_INFO chip id, which this tool's flasher does not drive (for a
    /// clear error instead of "unknown chip").
    public static func imageOnlyChip(securityInfoChipID id: UInt32) -> Chip? {
        allCases.first { $0.loader == nil && $0.imageChipID.map(UInt32.init) == id }
    }
}

/// What the ROM answers to GET_SECURITY_INFO (esptool `get_security_info`).
public enum SecurityInfoReply: Sendable, Hashable {
    /// The ESP32 ROM does not have the command.
    case unsupported
    /// 12 bytes: flags, crypt count, key purposes (ESP32-S2).
    case withoutChipID
    /// 20 bytes: the 12 plus chip id and ECO version (ESP32-S3 and later).
    case withChipID

    /// Payload length before the status bytes; nil when unsupported.
    public var length: Int? {
        switch self {
        case .unsupported: nil
        case .withoutChipID: 12
        case .withChipID: 20
        }
    }
}

/// The SPI flash controller's registers esptool writes for a user command (`run_spiflash_command`).
public struct SPIRegisters: Sendable, Hashable {
    public let base: UInt32
    public let layout: Layout

    /// Register offsets from the base (`SPI_USR_OFFS`, `SPI_USR1_OFFS`, ...; CMD is +0, ADDR +4 on every chip).
    public struct Layout: Sendable, Hashable {
        public let usr: UInt32, usr1: UInt32, usr2: UInt32, mosiDataLength: UInt32, misoDataLength: UInt32, w0: UInt32
        /// The ESP32 keeps a command's address in the top bits of ADDR (shifted left to 32 bits); later chips
        /// keep it right-aligned.
        public let addressIsMSBAligned: Bool

        /// `ESP32ROM`: USR at +0x1C, W0 at +0x80.
        public static let esp32 = Layout(usr: 0x1C, usr1: 0x20, usr2: 0x24, mosiDataLength: 0x28, misoDataLength: 0x2C,
                                         w0: 0x80, addressIsMSBAligned: true)
        /// `ESP32S2ROM` and every later chip (SPIMEM1): USR at +0x18, W0 at +0x58.
        public static let spiMem = Layout(usr: 0x18, usr1: 0x1C, usr2: 0x20, mosiDataLength: 0x24, misoDataLength: 0x28,
                                          w0: 0x58, addressIsMSBAligned: false)
    }

    public var cmd: UInt32 { base }
    public var addr: UInt32 { base + 0x04 }
    public var usr: UInt32 { base + layout.usr }
    public var usr1: UInt32 { base + layout.usr1 }
    public var usr2: UInt32 { base + layout.usr2 }
    public var mosiDataLength: UInt32 { base + layout.mosiDataLength }
    public var misoDataLength: UInt32 { base + layout.misoDataLength }
    public var w0: UInt32 { base + layout.w0 }
}

/// SPI_ATTACH's pin word.
public enum FlashPinSource: Sendable, Hashable {
    /// 0: the ROM's default pins.
    case defaultPins
    /// The pins BLK0 words 3 and 5 name for in-package flash, or 0 when they are all zero (`ESP32ROM.get_chip_spi_pads`).
    case esp32Efuse
}

/// How the crystal frequency is known (esptool `get_crystal_freq`).
public enum CrystalSource: Sendable, Hashable {
    /// Fixed for the family, in MHz.
    case fixed(Int)
    /// Estimated from the UART clock divider register at the current baud rate (host rate × divider): over
    /// 45 MHz reads as 48, over 33 as 40, else 26 (ESP32, ESP32-C2, ESP32-C5).
    case uartDivider(register: UInt32)

    /// The nominal crystal an estimate in MHz stands for (esptool's normalisation).
    public static func normalized(megahertz estimate: Double) -> Int {
        estimate > 45 ? 48 : estimate > 33 ? 40 : 26
    }
}

/// How CHANGE_BAUDRATE's value is computed (esptool `change_baud` of each ROM class).
public enum BaudRateScaling: Sendable, Hashable {
    /// The requested rate as is.
    case none
    /// Scaled by the ROM's clock estimate (RTC calibration × eFuse CK8M frequency) over the nominal crystal
    /// (`ESP32ROM.change_baud`).
    case esp32ROMClock
    /// The ROM derives the divider from a 40 MHz clock whatever the crystal: with a 26 MHz crystal the rate sent is
    /// `baud × 40 / 26` (`ESP32C2ROM.change_baud`); in secure download mode the rate is never changed.
    case romAssumes40MHz
    /// The ROM's expected crystal is in bits 30–24 of `register` (`PCR_SYSCLK_CONF`); when it differs from the
    /// detected one (40 vs 48 MHz), the rate is scaled by expected / detected (`ESP32C5ROM.change_baud`).
    case romExpectedCrystal(register: UInt32)
}

/// Where the chip revision (major, minor) is read from (esptool `get_major_chip_version`, `get_minor_chip_version`).
public enum RevisionSource: Sendable, Hashable {
    /// BLK0 word 3 bit 15, word 5 bit 20 and APB_CTL_DATE bit 31 give the major; word 5 bits 24–25 the minor.
    case esp32
    /// eFuse fields: the major, and the minor as parts concatenated (first part most significant).
    case efuse(major: EfuseField, minor: [EfuseField])
}

/// A bit field of a 32-bit eFuse (or other) register.
public struct EfuseField: Sendable, Hashable {
    public let address: UInt32
    public let shift: UInt32
    public let width: UInt32

    public init(_ address: UInt32, shift: UInt32, width: UInt32) {
        self.address = address
        self.shift = shift
        self.width = width
    }

    public var mask: UInt32 { (width >= 32 ? UInt32.max : (1 << width) - 1) << shift }

    /// The field's value in a register word.
    public func value(in word: UInt32) -> UInt32 { (word & mask) >> shift }

    /// `word` with the field set to `value`.
    public func inserting(_ value: UInt32, into word: UInt32) -> UInt32 { (word & ~mask) | ((value << shift) & mask) }
}

extension RevisionSource {
    /// The revision from register reads (`read` returns a register's value).
    public func revision<E: Error>(read: (UInt32) throws(E) -> UInt32) throws(E) -> ChipRevision {
        switch self {
        case .esp32:
            let word3 = try read(ESP32Registers.efuseBlock0Word3)
            let word5 = try read(ESP32Registers.efuseBlock0Word5)
            let apbDate = try read(ESP32Registers.apbControlDate)
            let bits = (apbDate >> 31 & 1) << 2 | (word5 >> 20 & 1) << 1 | (word3 >> 15 & 1)
            let major: Int = switch bits { case 1: 1; case 3: 2; case 7: 3; default: 0 }
            return ChipRevision(major: major, minor: Int(word5 >> 24 & 3))
        case .efuse(let majorField, let minorParts):
            let major = majorField.value(in: try read(majorField.address))
            var minor: UInt32 = 0
            for part in minorParts { minor = minor << part.width | part.value(in: try read(part.address)) }
            return ChipRevision(major: Int(major), minor: Int(minor))
        }
    }
}

/// The USB-Serial/JTAG peripheral's chip-side facts: the RTC (or LP) watchdog and the super watchdog that a
/// reset through USB leaves running, and how esptool disables them (`disable_watchdogs`: unlock with the key,
/// clear WDTCONFIG0, lock; unlock the SWD, set its auto-feed bit, lock).
public struct USBSerialJTAGFacts: Sendable, Hashable {
    public let rtcWatchdogConfig0: UInt32
    public let rtcWatchdogWriteProtect: UInt32
    public let superWatchdogConfig: UInt32
    public let superWatchdogWriteProtect: UInt32
    public let superWatchdogKey: UInt32
    public let superWatchdogAutoFeed: UInt32

    /// `RTC_CNTL_WDT_WKEY`, the same on every chip.
    public static let rtcWatchdogKey: UInt32 = 0x50D8_3AA1
    /// Bit 31 of WDTCONFIG0 enables the RTC watchdog.
    public static let rtcWatchdogEnable: UInt32 = 1 << 31
}

/// Where the eFuses esptool reads before writing say whether flash encryption and secure boot are on
/// (`get_flash_encryption_enabled`, `get_secure_boot_enabled`, `get_secure_boot_v1_enabled`,
/// `get_encrypted_download_disabled`).
public struct SecurityFuses: Sendable, Hashable {
    /// SPI_BOOT_CRYPT_CNT (FLASH_CRYPT_CNT on the ESP32): encryption is on when an odd number of its bits is set.
    public let cryptCount: EfuseField
    /// Secure boot v2 (SECURE_BOOT_EN; the ESP32's ABS_DONE_1, which counts from chip revision 3).
    public let secureBoot: EfuseField
    /// Secure boot v1 (the ESP32's ABS_DONE_0); nil on chips without it.
    public let secureBootV1: EfuseField?
    /// DIS_DOWNLOAD_MANUAL_ENCRYPT: the ROM refuses to encrypt in download mode.
    public let manualEncryptDisabled: EfuseField
}

/// ESP32 registers read by the fact kinds above that only the ESP32 has (esptool `targets/esp32.py`).
public enum ESP32Registers {
    /// `EFUSE_RD_REG_BASE` + 4 × n: BLK0 words.
    public static let efuseBlock0Word3: UInt32 = 0x3FF5_A00C
    public static let efuseBlock0Word4: UInt32 = 0x3FF5_A010
    public static let efuseBlock0Word5: UInt32 = 0x3FF5_A014
    /// `APB_CTL_DATE_ADDR`: bit 31 tells revision 3.
    public static let apbControlDate: UInt32 = 0x3FF6_607C
    /// `RTCCALICFG1`: the ROM's crystal calibration value in bits 7–31.
    public static let rtcCalibration: UInt32 = 0x3FF5_F06C
    /// `UART_CLKDIV_REG` of UART0; the divider is its low 20 bits (`UART_CLKDIV_MASK`).
    public static let uartClockDivider: UInt32 = 0x3FF4_0014
    public static let uartClockDividerMask: UInt32 = 0xFFFFF
}
