import ImageFormats

/// What the chip's eFuses say about its security (esptool `get_flash_encryption_enabled`,
/// `get_secure_boot_enabled`, `get_secure_boot_v1_enabled`, `get_encrypted_download_disabled`, or in secure download
/// mode the GET_SECURITY_INFO flags).
public struct SecurityState: Sendable, Equatable {
    /// SPI_BOOT_CRYPT_CNT has an odd number of bits set: the chip decrypts flash as it reads it.
    public var flashEncryption = false
    public var secureBoot = false
    /// ESP32 secure boot v1 (ABS_DONE_0): the bootloader region below 0x8000 must not be written.
    public var secureBootV1 = false
    /// The ROM takes only the commands Secure Download Mode allows.
    public var secureDownloadMode = false
    /// DIS_DOWNLOAD_MANUAL_ENCRYPT; nil where it cannot be read (secure download mode).
    public var manualEncryptDisabled: Bool?

    public init() {}

    /// Whether anything is on that makes esptool careful (erasing refused, headers left alone).
    public var anyProtection: Bool { flashEncryption || secureBoot || secureDownloadMode }
}

/// Chip facts read through registers: MAC, revision, crystal, security eFuses, and the USB-Serial/JTAG watchdogs.
extension Bootloader {
    /// The base MAC from the eFuse words (esptool `read_mac`); empty in secure download mode, which forbids READ_REG.
    public func readMAC() throws(LoaderError) -> [UInt8] {
        guard !secureDownloadMode else { return [] }
        let low = try connection.readRegister(loaderFacts.macWords.low)
        let high = try connection.readRegister(loaderFacts.macWords.high)
        return [UInt8(high >> 8 & 0xFF), UInt8(high & 0xFF), UInt8(low >> 24), UInt8(low >> 16 & 0xFF), UInt8(low >> 8 & 0xFF), UInt8(low & 0xFF)]
    }

    /// Chip revision (major, minor) from the eFuse fields of the chip table (nil in secure download mode).
    public func readRevision() throws(LoaderError) -> ChipRevision? {
        guard !secureDownloadMode else { return nil }
        return try loaderFacts.revision.revision { (address) throws(LoaderError) in try connection.readRegister(address) }
    }

    /// Crystal frequency in MHz: fixed per chip, or estimated from the UART divider at the line's rate (esptool
    /// `get_crystal_freq`); nil in secure download mode. Read before the first baud change, whose value may depend on it.
    public func readCrystalMHz() throws(LoaderError) -> Int? {
        if let crystalMHz { return crystalMHz }
        guard !secureDownloadMode else { return nil }
        switch loaderFacts.crystal {
        case .fixed(let megahertz):
            crystalMHz = megahertz
        case .uartDivider(let register):
            let divider = try connection.readRegister(register) & ESP32Registers.uartClockDividerMask
            crystalMHz = CrystalSource.normalized(megahertz: Double(connection.transport.baudRate) * Double(divider) / 1_000_000)
        }
        return crystalMHz
    }

    /// Flash encryption, secure boot and secure download mode: from the eFuses esptool reads, or in secure download
    /// mode (where READ_REG is refused) from GET_SECURITY_INFO's flags and crypt count.
    public func readSecurity() throws(LoaderError) -> SecurityState {
        var state = SecurityState()
        state.secureDownloadMode = secureDownloadMode
        if secureDownloadMode {
            state.flashEncryption = securityInfo?.flashEncryptionEnabled ?? false
            state.secureBoot = securityInfo?.secureBootEnabled ?? false
            return state
        }
        let fuses = loaderFacts.security
        func field(_ f: EfuseField) throws(LoaderError) -> UInt32 { f.value(in: try connection.readRegister(f.address)) }
        state.flashEncryption = try field(fuses.cryptCount).nonzeroBitCount % 2 == 1
        state.secureBoot = try field(fuses.secureBoot) != 0
        if chip == .esp32, state.secureBoot, let revision = try readRevision(), revision.major < 3 {
            state.secureBoot = false  // ABS_DONE_1 (secure boot v2) counts only from ESP32 revision 3
        }
        if let v1 = fuses.secureBootV1 { state.secureBootV1 = try field(v1) != 0 }
        state.secureBoot = state.secureBoot || state.secureBootV1
        state.manualEncryptDisabled = try field(fuses.manualEncryptDisabled) != 0
        return state
    }

    /// On a USB-Serial/JTAG port: the RTC watchdog (unlock with its key, clear WDTCONFIG0, lock) and the super
    /// watchdog (unlock, set auto-feed, lock), which a reset through USB leaves running and which would otherwise
    /// reset the chip in the middle of a long write (esptool `disable_watchdogs`). Not in secure download mode.
    public func disableWatchdogs() throws(LoaderError) {
        guard usesUSBSerialJTAG, !secureDownloadMode, let wdt = loaderFacts.usbSerialJTAG else { return }
        try connection.writeRegisters([
            (wdt.rtcWatchdogWriteProtect, USBSerialJTAGFacts.rtcWatchdogKey), (wdt.rtcWatchdogConfig0, 0), (wdt.rtcWatchdogWriteProtect, 0),
        ])
        let swd = try connection.readRegister(wdt.superWatchdogConfig)
        try connection.writeRegisters([
            (wdt.superWatchdogWriteProtect, wdt.superWatchdogKey), (wdt.superWatchdogConfig, swd | wdt.superWatchdogAutoFeed),
            (wdt.superWatchdogWriteProtect, 0),
        ])
    }
}
