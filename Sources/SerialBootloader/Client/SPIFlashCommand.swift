/// One command to the SPI flash chip, run through the SPI controller's "user command" registers with READ_REG
/// and WRITE_REG (esptool `run_spiflash_command`; shared/reference/esptool.md §6): the opcode, then an optional
/// address, dummy cycles and data out (MOSI, up to 64 bytes), then up to 32 bits read back (MISO).
public struct SPIFlashCommand: Sendable, Hashable {
    public var opcode: UInt8
    public var data: [UInt8]
    public var readBits: Int
    public var address: UInt32?
    public var addressBits: Int
    public var dummyBits: Int

    public init(_ opcode: UInt8, data: [UInt8] = [], readBits: Int = 0, address: UInt32? = nil, addressBits: Int = 0, dummyBits: Int = 0) {
        self.opcode = opcode
        self.data = data
        self.readBits = readBits
        self.address = address
        self.addressBits = address == nil ? 0 : addressBits
        self.dummyBits = dummyBits
    }

    /// Common SPI NOR opcodes (JEDEC; Winbond W25Q datasheets).
    public enum Opcode {
        public static let readID: UInt8 = 0x9F
        public static let readSFDP: UInt8 = 0x5A
        public static let readStatus: UInt8 = 0x05, readStatus2: UInt8 = 0x35, readStatus3: UInt8 = 0x15
        public static let writeStatus: UInt8 = 0x01, writeStatus2: UInt8 = 0x31, writeStatus3: UInt8 = 0x11
        public static let writeEnable: UInt8 = 0x06, writeDisable: UInt8 = 0x04
        /// Write enable for volatile status register bits.
        public static let volatileWriteEnable: UInt8 = 0x50
    }

    /// RDSR, RDSR2, RDSR3: one status byte each.
    public static let statusReads = [Opcode.readStatus, Opcode.readStatus2, Opcode.readStatus3]
    public static let statusWrites = [Opcode.writeStatus, Opcode.writeStatus2, Opcode.writeStatus3]

    /// The limits of the controller's registers as esptool uses them.
    public static let maximumReadBits = 32
    public static let maximumDataBytes = 64
}

extension Bootloader {
    /// Runs `command` and returns the bits it read (0 when it reads nothing). USR and USR2 are restored afterwards,
    /// as the ROM's own flash routines expect them.
    @discardableResult
    public func run(_ command: SPIFlashCommand) throws(LoaderError) -> UInt32 {
        let name = "SPI flash command 0x\(hex(Int(command.opcode)))"
        guard !secureDownloadMode else {
            throw LoaderError(.unusable, command: name, "secure download mode forbids register access, so no SPI flash command can run")
        }
        guard command.readBits <= SPIFlashCommand.maximumReadBits, command.data.count <= SPIFlashCommand.maximumDataBytes else {
            throw LoaderError(.failed(RomError.invalidParameter.rawValue), command: name,
                              "at most 32 bits can be read and 64 bytes written by one SPI command")
        }
        let spi = loaderFacts.spi
        let savedUSR = try connection.readRegister(spi.usr)
        let savedUSR2 = try connection.readRegister(spi.usr2)
        let dataBits = command.data.count * 8
        var writes: [(address: UInt32, value: UInt32)] = []
        if dataBits > 0 { writes.append((spi.mosiDataLength, UInt32(dataBits - 1))) }
        if command.readBits > 0 { writes.append((spi.misoDataLength, UInt32(command.readBits - 1))) }
        var lengths: UInt32 = 0
        if command.dummyBits > 0 { lengths |= UInt32(command.dummyBits - 1) }
        if command.addressBits > 0 { lengths |= UInt32(command.addressBits - 1) << SPIUserBits.addressLengthShift }
        if lengths != 0 { writes.append((spi.usr1, lengths)) }
        var flags = SPIUserBits.command
        if command.readBits > 0 { flags |= SPIUserBits.miso }
        if dataBits > 0 { flags |= SPIUserBits.mosi }
        if command.addressBits > 0 { flags |= SPIUserBits.address }
        if command.dummyBits > 0 { flags |= SPIUserBits.dummy }
        writes += [(spi.usr, flags), (spi.usr2, 7 << SPIUserBits.commandLengthShift | UInt32(command.opcode))]
        if let address = command.address, command.addressBits > 0 {
            let aligned = spi.layout.addressIsMSBAligned && command.addressBits < 32 ? address << UInt32(32 - command.addressBits) : address
            writes.append((spi.addr, aligned))
        }
        if command.data.isEmpty {
            writes.append((spi.w0, 0))  // cleared so that a command reading nothing leaves nothing stale
        } else {
            var padded = command.data
            while padded.count % 4 != 0 { padded.append(0) }
            for i in stride(from: 0, to: padded.count, by: 4) {
                let word = UInt32(padded[i]) | UInt32(padded[i + 1]) << 8 | UInt32(padded[i + 2]) << 16 | UInt32(padded[i + 3]) << 24
                writes.append((spi.w0 + UInt32(i), word))
            }
        }
        writes.append((spi.cmd, Self.spiCommandStart))
        try connection.writeRegisters(writes)
        var done = false
        for _ in 0..<10 where !done { done = try connection.readRegister(spi.cmd) & Self.spiCommandStart == 0 }
        guard done else { throw LoaderError(.badReply, command: name, "SPI command did not complete") }
        let result = try connection.readRegister(spi.w0)
        try connection.writeRegisters([(spi.usr, savedUSR), (spi.usr2, savedUSR2)])
        return result
    }

    /// The status register's first `bytes` bytes (1–3), from RDSR, RDSR2 and RDSR3 (esptool `read_status`);
    /// byte 0 is the lowest. A chip without RDSR2/RDSR3 answers 0xFF for them.
    public func readFlashStatus(bytes: Int) throws(LoaderError) -> UInt32 {
        var status: UInt32 = 0
        for (i, opcode) in SPIFlashCommand.statusReads.prefix(max(1, min(3, bytes))).enumerated() {
            status |= try run(SPIFlashCommand(opcode, readBits: 8)) << UInt32(8 * i)
        }
        return status
    }

    /// Writes the status register's first `bytes` bytes the way esptool's `write_status` does, so that flash chips
    /// of either convention take it: with 2 bytes first a 16-bit WRSR, then WRSR/WRSR2/WRSR3 with one byte each,
    /// every write after a write enable (WREN for non-volatile bits, else the volatile-only 0x50), then WRDI.
    public func writeFlashStatus(_ value: UInt32, bytes: Int, nonVolatile: Bool) throws(LoaderError) {
        let count = max(1, min(3, bytes))
        let enable = SPIFlashCommand(nonVolatile ? SPIFlashCommand.Opcode.writeEnable : SPIFlashCommand.Opcode.volatileWriteEnable)
        if count == 2 {
            try run(enable)
            try run(SPIFlashCommand(SPIFlashCommand.Opcode.writeStatus, data: [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)]))
        }
        var remaining = value
        for opcode in SPIFlashCommand.statusWrites.prefix(count) {
            try run(enable)
            try run(SPIFlashCommand(opcode, data: [UInt8(remaining & 0xFF)]))
            remaining >>= 8
        }
        try run(SPIFlashCommand(SPIFlashCommand.Opcode.writeDisable))
    }

    /// `bits` (8–32) of the SFDP table from `address` (RDSFDP: 24-bit address, 8 dummy cycles), byte `address`
    /// in the lowest bits.
    public func readSFDP(address: UInt32, bits: Int) throws(LoaderError) -> UInt32 {
        try run(SPIFlashCommand(SPIFlashCommand.Opcode.readSFDP, readBits: bits, address: address, addressBits: 24, dummyBits: 8))
    }
}

/// The SPI controller's USR register flags and the length fields of USR1/USR2 (ESP32 TRM, SPI chapter).
enum SPIUserBits {
    static let command: UInt32 = 1 << 31
    static let address: UInt32 = 1 << 30
    static let dummy: UInt32 = 1 << 29
    static let miso: UInt32 = 1 << 28
    static let mosi: UInt32 = 1 << 27
    static let addressLengthShift: UInt32 = 26
    static let commandLengthShift: UInt32 = 28
}
