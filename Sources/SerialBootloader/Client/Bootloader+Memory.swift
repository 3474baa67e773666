import ImageFormats

/// The ROM loader's memory commands (esptool `read_mem`, `write_mem`, `dump_mem`, `load_ram`, `run`): words
/// through READ_REG and WRITE_REG, programs into RAM through MEM_BEGIN / MEM_DATA / MEM_END.
extension Bootloader {
    /// The ROM's RAM download block (`ESP_RAM_BLOCK`), and the smaller one esptool 5.6.0 uses on chips with a
    /// USB-OTG download port unless the port is known to be a UART bridge (`USB_OTG_BLOCK_SIZE`).
    public static let ramBlockSize = 0x1800
    public static let usbOTGRAMBlockSize = 0x800

    /// The 32-bit word at `address` (READ_REG).
    public func readMemory(_ address: UInt32) throws(LoaderError) -> UInt32 {
        try connection.readRegister(address)
    }

    /// Writes `value` under `mask` at `address` (one WRITE_REG entry; the ROM does read-modify-write).
    public func writeMemory(_ address: UInt32, value: UInt32, mask: UInt32 = 0xFFFF_FFFF) throws(LoaderError) {
        try connection.send(.writeRegister([LoaderRequest.RegisterWrite(address: address, value: value, mask: mask)]))
    }

    /// `size` bytes from `address`, one READ_REG per word (little-endian); `size` is rounded down to whole words
    /// as esptool does.
    public func dumpMemory(address: UInt32, size: Int, progress: (Int) -> Void = { _ in }) throws(LoaderError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        for i in 0..<(size / 4) {
            let word = try connection.readRegister(address &+ UInt32(i * 4))
            out += [UInt8(word & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word >> 16 & 0xFF), UInt8(word >> 24)]
            if out.count % 1024 == 0 || out.count == size / 4 * 4 { progress(out.count) }
        }
        return out
    }

    /// MEM_BEGIN for one segment, then its MEM_DATA blocks (with the data checksum).
    public func loadSegment(address: UInt32, data: [UInt8], blockSize: Int = Bootloader.ramBlockSize,
                            progress: (Int) -> Void = { _ in }) throws(LoaderError) {
        let blocks = (data.count + blockSize - 1) / blockSize
        try connection.send(.memBegin(LoaderRequest.MemBegin(totalSize: UInt32(data.count), blockCount: UInt32(blocks),
                                                             blockSize: UInt32(blockSize), address: address)))
        for sequence in 0..<blocks {
            let chunk = Array(data[(sequence * blockSize)..<min(data.count, (sequence + 1) * blockSize)])
            try connection.send(.memData(LoaderRequest.DataBlock(sequence: UInt32(sequence), payload: chunk)))
            progress(min(data.count, (sequence + 1) * blockSize))
        }
    }

    /// MEM_END: the ROM jumps to `entry` (0: stays in the loader). Its reply may never come, because the program
    /// can take over the UART first, so the wait is short and a missing reply is not an error; a failure status is.
    public func finishRAMLoad(entry: UInt32) throws(LoaderError) {
        do {
            try connection.send(.memEnd(LoaderRequest.MemEnd(entry: entry)), timeout: timeouts.memEnd)
        } catch where error.kind == .timeout {
            // The program runs; the reply was lost to it.
        }
    }

    /// Leaves the loader and boots the application in flash: a FLASH_BEGIN of nothing, then FLASH_END asking to run
    /// user code (esptool `ESPLoader.run`).
    public func runUserCode() throws(LoaderError) {
        try beginWrite(compressed: false, eraseSize: 0, blocks: 0, address: 0)
        try connection.send(.flashEnd(runUserCode: true))
    }
}
