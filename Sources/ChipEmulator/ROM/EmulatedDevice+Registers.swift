import SerialBootloader
import ImageFormats

/// Register reads and writes, including the SPI flash controller esptool drives for flash commands (RDID, SFDP,
/// the status registers): a user command takes its opcode from USR2, its address from ADDR (USR1 says how many
/// bits), the data it sends from W0… (MOSI_DLEN bits), and leaves what it read in W0 (MISO_DLEN bits); the USR
/// flags say which of these phases the command has.
extension EmulatedDevice {
    /// SPI `CMD` register bit that starts a user command; it reads back as 0 once done (`SPI_CMD_USR`).
    static let spiCommandUser: UInt32 = 1 << 18

    /// What READ_REG answers; nil where the address is not mapped (the chip crashes instead of answering).
    func readRegister(_ address: UInt32) -> UInt32? {
        if let forced = registerOverrides[address] { return forced }
        if address == Chip.magicRegister { return profile.magicValue }
        if address == profile.loader.spi.cmd { return 0 }  // commands complete at once
        if case .uartDivider(let register) = profile.loader.crystal, address == register {
            // The UART clock (the crystal in the ROM) over the rate the UART runs at: what it auto-bauded to from the
            // host's SYNC, or what CHANGE_BAUDRATE set. esptool estimates the crystal from this.
            return UInt32(crystalMHz * 1_000_000 / (baudRate ?? lineBaudHint ?? 115_200))
        }
        return memoryWord(address)
    }

    /// Applies WRITE_REG entries (value under mask); writing the user-command bit to the SPI CMD register runs it.
    /// False when an entry's address is not mapped (the chip crashes there; later entries are not applied). The
    /// watchdog configuration registers change only while their write-protect register holds the key.
    func writeRegisters(_ writes: [LoaderRequest.RegisterWrite]) -> Bool {
        for w in writes {
            if isWriteProtected(w.address) { continue }
            guard storeWord(w.address, value: w.value, mask: w.mask) else { return false }
            if w.address == profile.loader.spi.cmd, w.value & w.mask & Self.spiCommandUser != 0 { runSPICommand() }
        }
        return true
    }

    private func isWriteProtected(_ address: UInt32) -> Bool {
        guard let wdt = profile.loader.usbSerialJTAG else { return false }
        if address == wdt.rtcWatchdogConfig0 { return registers[wdt.rtcWatchdogWriteProtect] != USBSerialJTAGFacts.rtcWatchdogKey }
        if address == wdt.superWatchdogConfig { return registers[wdt.superWatchdogWriteProtect] != wdt.superWatchdogKey }
        return false
    }

    /// Runs the command set up in USR/USR1/USR2/ADDR/MOSI_DLEN/MISO_DLEN/W0…, leaving the answer in W0.
    private func runSPICommand() {
        let spi = profile.loader.spi
        let usr = registers[spi.usr] ?? 0
        let command = UInt8((registers[spi.usr2] ?? 0) & 0xFF)
        var address: UInt32?
        if usr & (1 << 30) != 0 {
            let addressBits = Int((registers[spi.usr1] ?? 0) >> 26) + 1
            var value = registers[spi.addr] ?? 0
            if spi.layout.addressIsMSBAligned, addressBits < 32 { value >>= UInt32(32 - addressBits) }
            address = value
        }
        var data: [UInt8] = []
        if usr & (1 << 27) != 0 {
            let bytes = (Int(registers[spi.mosiDataLength] ?? 0) + 1 + 7) / 8
            for i in 0..<min(bytes, 64) {
                let word = registers[spi.w0 + UInt32(i / 4 * 4)] ?? 0
                data.append(UInt8(word >> UInt32(8 * (i % 4)) & 0xFF))
            }
        }
        // With no flash chip nothing drives MISO: the pull-ups read all ones.
        var result = configuration.flashMissing ? 0xFFFF_FFFF : spiFlash.execute(command, address: address, data: data)
        if usr & (1 << 28) != 0 {
            let readBits = Int(registers[spi.misoDataLength] ?? 0) + 1
            if readBits < 32 { result &= (1 << UInt32(readBits)) - 1 }
            registers[spi.w0] = result
        }
    }

    /// The flash chip's status registers 1–3 as they read now (tests).
    public var flashStatusRegisters: [UInt8] { spiFlash.status }
}
