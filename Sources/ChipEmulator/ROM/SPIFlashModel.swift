/// The command side of the emulated SPI NOR flash chip, as the SPI controller's user commands reach it: a Winbond
/// W25Q-style part (JEDEC id EF 40 xx) with three status registers, the write-enable latch, the volatile
/// status write enable (0x50) and a JESD216 SFDP table whose density follows the emulated flash size.
///
/// Datasheet facts (Winbond W25Q32JV, §7 and §8): WRSR (01h) takes one or two bytes (SR1, then SR2), WRSR2 (31h)
/// and WRSR3 (11h) one; a status write needs WREN (06h) first, which it clears, or 50h first, in which case only
/// the volatile copy changes; BUSY (SR1 bit 0) and WEL (bit 1) are read-only. Assumed: the power-on status is
/// SR1 00, SR2 02 (QE set, as parts for quad-I/O modules ship), SR3 60 (output drive 25%); the one-time lock bits
/// (SR2 bits 3–5) and SUS (bit 7) are not writable here, so no command can brick the emulated part. Block
/// protection bits are kept but do not protect anything: the ROM clears them before erasing (`SPIUnlock`).
struct SPIFlashModel: Sendable {
    /// Status registers 1–3 as they read now.
    private(set) var status: [UInt8] = SPIFlashModel.powerOnStatus
    /// The non-volatile copy (what a power cycle would bring back).
    private(set) var nonVolatileStatus: [UInt8] = SPIFlashModel.powerOnStatus
    private var writeEnableLatch = false
    private var volatileWriteEnabled = false
    /// Size of the flash array in bytes (for RDID and the SFDP density).
    let size: Int

    static let powerOnStatus: [UInt8] = [0x00, 0x02, 0x60]
    /// Bits of SR1–SR3 a status write can change.
    static let writableBits: [UInt8] = [0xFC, 0x43, 0x64]

    /// Winbond (0xEF), W25Q series (0x40).
    static let jedecManufacturer: UInt8 = 0xEF
    static let jedecMemoryType: UInt8 = 0x40

    init(size: Int) { self.size = size }

    /// JEDEC capacity byte: log2 of the size in bytes (0x16 = 4 MB).
    var capacityCode: UInt8 {
        var code: UInt8 = 0
        var s = size
        while s > 1 { s >>= 1; code += 1 }
        return code
    }

    /// Runs one command: `data` is what the controller shifted out after the opcode (and address); returns what
    /// the chip shifts back, byte 0 in the low bits.
    mutating func execute(_ opcode: UInt8, address: UInt32?, data: [UInt8]) -> UInt32 {
        switch opcode {
        case 0x9F:  // RDID
            return UInt32(Self.jedecManufacturer) | UInt32(Self.jedecMemoryType) << 8 | UInt32(capacityCode) << 16
        case 0x5A:  // RDSFDP
            let table = sfdpTable
            let start = Int(address ?? 0)
            var result: UInt32 = 0
            for i in 0..<4 {
                let index = start + i
                result |= UInt32(index < table.count ? table[index] : 0xFF) << (8 * UInt32(i))
            }
            return result
        case 0x05: return UInt32(status[0] & ~0x03 | (writeEnableLatch ? 0x02 : 0))  // RDSR: BUSY never set
        case 0x35: return UInt32(status[1])
        case 0x15: return UInt32(status[2])
        case 0x06:
            writeEnableLatch = true
            volatileWriteEnabled = false
        case 0x50:
            volatileWriteEnabled = true
        case 0x04:
            writeEnableLatch = false
            volatileWriteEnabled = false
        case 0x01: writeStatus(from: 0, data.prefix(2))
        case 0x31: writeStatus(from: 1, data.prefix(1))
        case 0x11: writeStatus(from: 2, data.prefix(1))
        default:
            break  // resets (66h/99h), power modes and the rest change nothing modelled
        }
        return 0
    }

    /// A status write starting at register `first`; ignored unless enabled by 06h or 50h just before.
    private mutating func writeStatus(from first: Int, _ bytes: ArraySlice<UInt8>) {
        guard writeEnableLatch || volatileWriteEnabled, !bytes.isEmpty else { return }
        for (i, byte) in bytes.enumerated() where first + i < 3 {
            let r = first + i
            let mask = Self.writableBits[r]
            status[r] = status[r] & ~mask | byte & mask
            if writeEnableLatch { nonVolatileStatus[r] = status[r] }
        }
        writeEnableLatch = false
        volatileWriteEnabled = false
    }

    /// JESD216B SFDP: the header (signature "SFDP", revision 1.6, one parameter header) and the 16-dword Basic
    /// Flash Parameter Table at 0x80, with the values a W25Q32JV-class chip reports; the density dword follows
    /// `size`. Unused bytes read 0xFF.
    var sfdpTable: [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 0xC0)
        let header: [UInt8] = [0x53, 0x46, 0x44, 0x50, 0x06, 0x01, 0x00, 0xFF,   // "SFDP", 1.6, NPH 0 (one header), FF
                               0x00, 0x06, 0x01, 0x10, 0x80, 0x00, 0x00, 0xFF]   // BFPT: id 0, v1.6, 16 dwords, at 0x80
        table.replaceSubrange(0..<header.count, with: header)
        let densityBits = UInt32(truncatingIfNeeded: size * 8 - 1)
        let dwords: [UInt32] = [
            0xFFF1_20E5,  // 4 KB erase with 20h, 3-byte addresses, 1-1-2 / 1-2-2 / 1-4-4 / 1-1-4 fast reads
            densityBits,  // flash memory density in bits, minus one
            0x6B08_EB44,  // 1-4-4 (EBh, 4 dummy + 2 mode clocks), 1-1-4 (6Bh, 8 dummy)
            0xBB42_3B08,  // 1-1-2 (3Bh, 8 dummy), 1-2-2 (BBh, 2 mode clocks)
            0xFFFF_FFFE,  // no 2-2-2 / 4-4-4 fast reads
            0x0000_FFFF, 0xFF00_FFFF,
            0x5220_0F0C,  // erase types 1 and 2: 4 KB (20h), 32 KB (52h)
            0x0000_D810,  // erase type 3: 64 KB (D8h)
            0x0023_6A00, 0x81C9_BB36,  // erase/program timings (typical and maximum)
            0x2B7C_E3D4, 0x5C94_3B30,  // suspend/resume
            0xFF00_00F7,  // deep power-down and status polling
            0xA060_A4A9,  // QE bit in SR2 bit 1 (written with 31h), 0-4-4 mode
            0x4000_0000,  // soft reset with 66h/99h, volatile status write enable 50h
        ]
        for (i, dword) in dwords.enumerated() {
            for b in 0..<4 { table[0x80 + i * 4 + b] = UInt8(dword >> UInt32(8 * b) & 0xFF) }
        }
        return table
    }
}
