import ImageFormats

/// What `writeFlashStatus` found and left.
public struct FlashStatusChange: Sendable, Hashable {
    public var before: UInt32
    /// The value asked for, cut to the bytes written.
    public var requested: UInt32
    public var after: UInt32
    public var bytes: Int
}

/// Jobs on the SPI flash chip itself and the chip's identity, beyond reading and writing flash contents
/// (esptool `read_flash_status`, `write_flash_status`, `read_flash_sfdp`, `get_security_info`).
extension DeviceSession {
    /// The status register's first `bytes` bytes (1–3) from RDSR/RDSR2/RDSR3. Stage `read`.
    public func readFlashStatus(bytes: Int) throws(JobFailure) -> UInt32 {
        try Self.checkStatusWidth(bytes)
        try begin(.read)
        return try loaderStep(.read) { () throws(LoaderError) in try self.bootloader.readFlashStatus(bytes: bytes) }
    }

    /// Writes the status register (esptool's command sequence, see `Bootloader.writeFlashStatus`) and reads it back
    /// before and after. Stage `write`; a value that did not stick is a note, as flash chips ignore the bits they
    /// do not have or that are locked.
    public func writeFlashStatus(_ value: UInt32, bytes: Int, nonVolatile: Bool) throws(JobFailure) -> FlashStatusChange {
        try Self.checkStatusWidth(bytes)
        try begin(.write)
        let mask: UInt32 = bytes >= 4 ? 0xFFFF_FFFF : (1 << UInt32(8 * bytes)) - 1
        let requested = value & mask
        return try loaderStep(.write) { () throws(LoaderError) in
            let before = try self.bootloader.readFlashStatus(bytes: bytes)
            try self.bootloader.writeFlashStatus(requested, bytes: bytes, nonVolatile: nonVolatile)
            let after = try self.bootloader.readFlashStatus(bytes: bytes)
            if after != requested {
                self.emit(.note("the flash status reads 0x\(hex(Int(after))) after writing 0x\(hex(Int(requested))): the chip kept some bits", isWarning: true))
            }
            return FlashStatusChange(before: before, requested: requested, after: after, bytes: bytes)
        }
    }

    /// `count` bytes of the flash chip's SFDP table from `address` (RDSFDP, four bytes per command). Stage `read`.
    public func readSFDP(address: Int, count: Int) throws(JobFailure) -> [UInt8] {
        guard address >= 0, count > 0, address + count <= 1 << 24 else {
            throw JobFailure(stage: .arguments, reason: .invalidInput, message: "SFDP addresses are 24 bits and at least one byte is read")
        }
        try begin(.read)
        return try loaderStep(.read) { () throws(LoaderError) in
            var bytes: [UInt8] = []
            while bytes.count < count {
                let n = min(4, count - bytes.count)
                let word = try self.bootloader.readSFDP(address: UInt32(address + bytes.count), bits: n * 8)
                for i in 0..<n { bytes.append(UInt8(word >> UInt32(8 * i) & 0xFF)) }
            }
            return bytes
        }
    }

    /// GET_SECURITY_INFO, asked afresh. The ESP32's ROM does not have the command: that fails stage `read` with the
    /// reason `device_error` and says so.
    public func readSecurityInfo() throws(JobFailure) -> SecurityInfo {
        try begin(.read)
        if bootloader.loaderFacts.securityInfo == .unsupported {
            throw JobFailure(stage: .read, reason: .deviceError, message: "the \(info.chip.displayName) ROM has no GET_SECURITY_INFO command",
                             help: "board-info shows what this chip reports")
        }
        return try loaderStep(.read) { () throws(LoaderError) in try Bootloader.readSecurityInfo(self.bootloader.connection) }
    }

    static func checkStatusWidth(_ bytes: Int) throws(JobFailure) {
        guard (1...3).contains(bytes) else {
            throw JobFailure(stage: .arguments, reason: .invalidInput, message: "--bytes must be 1, 2 or 3, not \(bytes)")
        }
    }

    /// Runs loader commands with the session's recovery (a lost reply costs a re-sync, not the run); what still
    /// fails becomes a failure of `stage`.
    func loaderStep<T>(_ stage: JobStage, _ body: () throws(LoaderError) -> T) throws(JobFailure) -> T {
        do throws(LoaderError) {
            return try operations.withRecovery(slot: -1, body)
        } catch {
            throw JobFailure(error, stage: stage)
        }
    }
}
