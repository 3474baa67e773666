import ImageFormats

/// The SPI flash behind the ROM: attach, user commands through the controller registers, id, size, MD5, reads
/// and the writes' BEGIN and data blocks.
extension Bootloader {
    /// SPI_ATTACH with the default pins, or on the ESP32 the pins the eFuse names for in-package flash
    /// (`ESP32ROM.get_chip_spi_pads`). The ROM takes four more zero bytes than the stub. Outside secure download
    /// mode the flash chip then gets a soft reset (0x66, 0x99): an app may have left it in a mode the ROM cannot
    /// read (esptool `attach_flash`); a re-attach after a recovery skips it.
    public func attachFlash(softReset: Bool = true) throws(LoaderError) {
        var config: UInt32 = 0
        if let flashPinsOverride {
            try connection.send(.spiAttach(configuration: flashPinsOverride, romPadding: true))
            attached = true
            return
        }
        switch loaderFacts.flashPins {
        case .defaultPins:
            break
        case .esp32Efuse where !secureDownloadMode:
            let word5 = try connection.readRegister(ESP32Registers.efuseBlock0Word5)
            let word3 = try connection.readRegister(ESP32Registers.efuseBlock0Word3)
            let clk = word5 & 0x1F, q = word5 >> 5 & 0x1F, d = word5 >> 10 & 0x1F, cs = word5 >> 15 & 0x1F, hd = word3 >> 4 & 0x1F
            if clk | q | d | cs | hd != 0 { config = hd << 24 | cs << 18 | d << 12 | q << 6 | clk }
        case .esp32Efuse:
            break
        }
        try connection.send(.spiAttach(configuration: config, romPadding: true))
        attached = true
        guard softReset, !secureDownloadMode else { return }
        _ = try runSPIFlashCommand(0x66, readBits: 0)  // reset enable
        _ = try runSPIFlashCommand(0x99, readBits: 0)  // reset
        Clock.sleep(seconds: 0.001)
    }

    /// Runs one SPI flash command that sends only its opcode and returns up to 32 bits it read
    /// (esptool `run_spiflash_command`, shared/reference/esptool.md §6; `run(_:)` takes the general form).
    public func runSPIFlashCommand(_ command: UInt8, readBits: Int) throws(LoaderError) -> UInt32 {
        try run(SPIFlashCommand(command, readBits: readBits))
    }

    static let spiCommandStart: UInt32 = 1 << 18

    /// RDID: `manufacturer | memory type << 8 | capacity << 16`.
    public func readFlashID() throws(LoaderError) -> UInt32 {
        try runSPIFlashCommand(0x9F, readBits: 24)
    }

    /// Whether the flash chip answers (esptool `_verify_flash_connection`): its RDID is not one a silent bus gives
    /// (0x000000, 0xFFFFFF, 0xFFFF3F), or else its SFDP table starts with "SFDP" (read only then: one SPI command
    /// fewer on every connect than esptool, same verdict).
    public func flashAnswers(id: UInt32) throws(LoaderError) -> Bool {
        if ![0x00_0000, 0xFF_FFFF, 0xFF_FF3F].contains(id) { return true }
        return try readSFDP(address: 0, bits: 32) == 0x5044_4653
    }

    /// SPI_SET_PARAMS: `id 0, total size, block 64 KB, sector 4 KB, page 256, status mask 0xFFFF`.
    public func setFlashSize(_ size: Int) throws(LoaderError) {
        try connection.send(.spiSetParameters(LoaderRequest.SPIParameters(totalSize: UInt32(size))))
        configuredFlashSize = size
    }

    /// Refuses a range the ROM cannot address: its flash commands carry 24-bit addresses, so anything at or past
    /// 16 MB would wrap to the start of the flash (over the bootloader), and its MD5 would wrap the same way.
    public func checkReachable(address: Int, size: Int, _ command: String) throws(LoaderError) {
        guard address + size > Chip.romAddressLimit else { return }
        throw LoaderError(.unusable, command: command,
                          "0x\(hex(address))+0x\(hex(size)) reaches past 16 MB: the ROM loader sends 24-bit flash addresses, "
                          + "so it would wrap to 0x\(hex((address + size - 1) & (Chip.romAddressLimit - 1) & ~0xFFF)) over the start of the flash")
    }

    // MARK: - Contents

    /// SPI_FLASH_MD5 of `[address, address+size)`, lower-case hex. The ROM answers with 32 ASCII hex characters.
    /// Secure download mode forbids it.
    public func flashMD5(address: Int, size: Int) throws(LoaderError) -> String {
        guard !secureDownloadMode else {
            throw LoaderError(.unusable, command: "SPI_FLASH_MD5", "secure download mode cannot read flash back")
        }
        try checkReachable(address: address, size: size, "SPI_FLASH_MD5")
        let reply = try connection.send(.spiFlashMD5(offset: UInt32(address), size: UInt32(size)),
                                        timeout: timeouts.md5(bytes: size), payloadLength: 32)
        let text = reply.payload(length: 32)
        if text.count == 32, text.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }) {
            return String(decoding: text.map { $0 | ($0 >= 0x41 ? 0x20 : 0) }, as: UTF8.self)
        }
        // A stub answers with 16 raw bytes.
        guard reply.data.count >= 18 else { throw LoaderError(.badReply, command: "SPI_FLASH_MD5", "reply too short") }
        return hexString(reply.data.prefix(16))
    }

    /// READ_FLASH_SLOW: 64 bytes per command.
    public func readFlash(address: Int, size: Int, progress: (Int) -> Void = { _ in }) throws(LoaderError) -> [UInt8] {
        guard !secureDownloadMode else {
            throw LoaderError(.unusable, command: "READ_FLASH_SLOW", "secure download mode cannot read flash back")
        }
        try checkReachable(address: address, size: size, "READ_FLASH_SLOW")
        var out: [UInt8] = []
        out.reserveCapacity(size)
        while out.count < size {
            let length = min(Self.readBlockSize, size - out.count)
            let reply = try connection.send(.readFlashSlow(offset: UInt32(address + out.count), length: UInt32(length)), payloadLength: Self.readBlockSize)
            guard reply.data.count >= Self.readBlockSize else {
                throw LoaderError(.badReply, command: "READ_FLASH_SLOW", "reply holds \(reply.data.count) bytes, expected \(Self.readBlockSize)")
            }
            out += reply.data.prefix(length)
            progress(out.count)
        }
        return out
    }

    /// FLASH_BEGIN or FLASH_DEFL_BEGIN: the ROM erases `[address, address + eraseSize)` before answering.
    public func beginWrite(compressed: Bool, eraseSize: Int, blocks: Int, address: Int) throws(LoaderError) {
        try checkReachable(address: address, size: max(eraseSize, blocks * Self.romBlockSize), compressed ? "FLASH_DEFL_BEGIN" : "FLASH_BEGIN")
        let begin = LoaderRequest.FlashBegin(size: UInt32(eraseSize), blockCount: UInt32(blocks), blockSize: UInt32(Self.romBlockSize),
                                             offset: UInt32(address), encrypted: loaderFacts.flashBeginWords == 5 ? 0 : nil)  // 0: not encrypted
        try connection.send(compressed ? .flashDeflBegin(begin) : .flashBegin(begin), timeout: timeouts.erase(bytes: eraseSize))
    }

    /// One FLASH_DATA or FLASH_DEFL_DATA block: `len, seq, 0, 0, data`, with the data checksum.
    public func writeBlock(compressed: Bool, _ data: ArraySlice<UInt8>, sequence: Int, timeout: Double) throws(LoaderError) {
        let block = LoaderRequest.DataBlock(sequence: UInt32(sequence), payload: Array(data))
        try connection.send(compressed ? .flashDeflData(block) : .flashData(block), timeout: timeout)
    }

    /// Whether the ROM can decompress: secure download mode takes only plain FLASH_DATA.
    public var acceptsCompressedData: Bool { !secureDownloadMode }
}
