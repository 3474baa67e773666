import SerialBootloader
import ImageFormats

/// Register reads and writes, including the SPI flash controller esptool drives to read the flash ID and SFDP.
extension EmulatedDevice {
    /// SPI `CMD` register bit that starts a user command; it reads back as 0 once done (`SPI_CMD_USR`).
    static let spiCommandUser: UInt32 = 1 << 18

    func readRegister(_ address: UInt32) -> UInt32 {
        if address == Chip.magicRegister { return profile.magicValue }
        if address == profile.loader.spi.cmd { return 0 }  // commands complete at once
        if case .uartDivider(let register) = profile.loader.crystal, address == register {
            // APB clock (40 MHz crystal) over the current baud rate: esptool estimates the crystal from this.
            return UInt32(40_000_000 / baudRate)
        }
        return registers[address] ?? 0
    }

    /// Applies WRITE_REG entries (value under mask); writing the user-command bit to the SPI CMD register runs it.
    func writeRegisters(_ writes: [LoaderRequest.RegisterWrite]) {
        for w in writes {
            let old = registers[w.address] ?? 0
            registers[w.address] = (old & ~w.mask) | (w.value & w.mask)
            if w.address == profile.loader.spi.cmd, w.value & w.mask & Self.spiCommandUser != 0 { runSPICommand() }
        }
    }

    /// Runs the command set up in USR/USR1/USR2/ADDR/MISO_DLEN, leaving the answer in W0.
    private func runSPICommand() {
        let spi = profile.loader.spi
        let command = (registers[spi.usr2] ?? 0) & 0xFFFF
        let usr1 = registers[spi.usr1] ?? 0
        let addressBits = Int(usr1 >> 26) + 1
        var address = registers[spi.addr] ?? 0
        if spi.layout.addressIsMSBAligned, addressBits < 32 { address >>= UInt32(32 - addressBits) }
        let readBits = Int(registers[spi.misoDataLength] ?? 0) + 1
        var result: UInt32 = 0
        switch command {
        case 0x9F:  // RDID: manufacturer, memory type, capacity
            result = UInt32(Self.jedecManufacturer) | UInt32(Self.jedecMemoryType) << 8 | UInt32(capacityCode) << 16
        case 0x5A:  // read SFDP
            for i in 0..<4 {
                let index = Int(address) + i
                let byte = index < Self.sfdpTable.count ? Self.sfdpTable[index] : 0xFF
                result |= UInt32(byte) << (8 * UInt32(i))
            }
        default:
            result = 0  // status reads, resets and the rest leave nothing of interest
        }
        if readBits < 32 { result &= (1 << UInt32(readBits)) - 1 }
        registers[spi.w0] = result
    }

    /// Winbond (0xEF), W25Q series (0x40).
    static let jedecManufacturer: UInt8 = 0xEF
    static let jedecMemoryType: UInt8 = 0x40

    /// JEDEC capacity byte: log2 of the size in bytes (0x16 = 4 MB).
    var capacityCode: UInt8 {
        var code: UInt8 = 0
        var size = flash.size
        while size > 1 { size >>= 1; code += 1 }
        return code
    }

    /// Start of a JESD216 SFDP table: signature "SFDP", revision 1.6, one parameter header.
    static let sfdpTable: [UInt8] = [0x53, 0x46, 0x44, 0x50, 0x06, 0x01, 0x00, 0xFF,
                                     0x00, 0x06, 0x01, 0x10, 0x80, 0x00, 0x00, 0xFF,
                                     0x00, 0x00, 0x00, 0x00]
}
