/// How one emulated chip is built and fused: its crystal, its security eFuses, how it is connected, and what it
/// was doing before the host came (`emulate --crystal --secure-download-mode --flash-encryption --secure-boot
/// --usb-serial-jtag --stub-running`, or the same as `virtual://` options).
public struct ChipConfiguration: Sendable, Equatable {
    /// The crystal in MHz; nil takes the family's usual one (`RomProfile.defaultCrystalMHz`).
    public var crystalMHz: Int?
    /// ENABLE_SECURITY_DOWNLOAD burnt: the ROM takes only the commands Secure Download Mode allows.
    public var secureDownloadMode = false
    /// SPI_BOOT_CRYPT_CNT odd: the chip decrypts flash as it boots from it.
    public var flashEncryption = false
    /// Secure boot v2 enabled (on the ESP32, ABS_DONE_1).
    public var secureBoot = false
    /// DIS_DOWNLOAD_MANUAL_ENCRYPT burnt.
    public var manualEncryptDisabled = false
    /// Connected through its own USB-Serial/JTAG: the reset logic of that peripheral instead of the auto-reset
    /// circuit, and a watchdog the app's bootloader left running that a reset through USB does not stop.
    public var usbSerialJTAG = false
    /// Seconds after entering download mode over USB-Serial/JTAG until the RTC and super watchdogs reset the chip,
    /// unless the host disabled them (ESP-IDF's bootloader arms the RTC watchdog for 9 s).
    public var watchdogSeconds = 9.0
    /// A flasher stub left running (esptool `--after no-reset-stub`): it answers SYNC with zeros until a reset.
    public var stubRunning = false
    /// The flash chip does not answer (unpowered, unsoldered): RDID and SFDP read all ones.
    public var flashMissing = false

    public init() {}
}
