import SerialBootloader

/// RAM downloads (MEM_BEGIN, MEM_DATA, MEM_END) and leaving the loader. The emulator stores what is loaded but
/// runs no code: after MEM_END with an entry point the chip is "running" it and stays silent, as a real chip is
/// while its program runs (a loaded program that talks back would need a CPU model).
extension EmulatedDevice {
    /// Why the chip left its loader.
    public enum RunningCode: Sendable, Equatable {
        /// A program loaded into RAM, started at `entry`.
        case ramProgram(entry: UInt32)
        /// The application in flash (FLASH_END asking to run user code, esptool `run`).
        case flashApplication
    }

    /// One MEM_BEGIN's download.
    struct MemSession {
        var address: UInt32
        var size: Int
        var blockSize: Int
        var received = 0
    }

    /// MEM_BEGIN: the whole `[address, address+size)` must be RAM (the ROM's `invalid RAM binary address`);
    /// a block size of 0 or blocks that cannot hold `size` are `invalid RAM binary size`.
    func memBegin(_ begin: LoaderRequest.MemBegin) -> [UInt8] {
        let size = Int(begin.totalSize), blockSize = Int(begin.blockSize)
        guard blockSize > 0, Int(begin.blockCount) * blockSize >= size else {
            memSession = nil
            return reply(.memBegin, error: .invalidRAMBinarySize)
        }
        if let map = memoryMap, !map.isRAM(begin.address, size: size) {
            memSession = nil
            return reply(.memBegin, error: .invalidRAMBinaryAddress)
        }
        memSession = MemSession(address: begin.address, size: size, blockSize: blockSize)
        return reply(.memBegin)
    }

    /// MEM_DATA: block `sequence` goes to `address + sequence × blockSize`, so a resent block lands where it
    /// belongs; nothing may go past the size MEM_BEGIN announced.
    func memData(_ block: LoaderRequest.DataBlock) -> [UInt8] {
        guard var session = memSession else { return reply(.memData, error: .failedToAct) }
        let offset = Int(block.sequence) * session.blockSize
        guard block.payload.count <= session.blockSize, offset + block.payload.count <= session.size else {
            return reply(.memData, error: .invalidRAMBinarySize)
        }
        storeBytes(block.payload, at: session.address &+ UInt32(offset))
        session.received = max(session.received, offset + block.payload.count)
        memSession = session
        return reply(.memData)
    }

    /// MEM_END: with an entry point the ROM answers and jumps there; `[1, 0]` (no entry) stays in the loader.
    func memEnd(_ end: LoaderRequest.MemEnd) -> [UInt8] {
        memSession = nil
        if !end.noEntry { running = .ramProgram(entry: end.entry) }
        return reply(.memEnd)
    }

    /// READ_REG or WRITE_REG of an unmapped address: the CPU takes an exception and the chip resets; IO0 is still
    /// held low, so it comes back in the ROM loader, auto-bauding again, with the flash size at its 2 MB default
    /// (`resetROM`). The command in flight gets no reply.
    func crash() -> Output {
        crashes += 1
        resetROM()
        return Output()
    }

    /// Back in the ROM loader, as after a reset with IO0 low (RAM keeps its contents, as SRAM does across a reset).
    public func resetIntoLoader() { resetROM() }
}
