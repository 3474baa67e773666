import ImageFormats

/// What `loadRAM` put where.
public struct RAMLoadResult: Sendable, Hashable {
    public struct Segment: Sendable, Hashable {
        public var address: UInt32
        public var size: Int
    }

    public var segments: [Segment]
    public var entry: UInt32
    public var blockSize: Int
}

/// Jobs on the chip's memory through the ROM loader (esptool `read_mem`, `write_mem`, `dump_mem`, `load_ram`,
/// `run`). Memory commands are not retried: READ_REG of an address the chip cannot read crashes the chip, and
/// trying again would only crash it again; the failure says which address went unanswered.
extension DeviceSession {
    /// The word at `address`. Stage `read`.
    public func readMemory(_ address: UInt32) throws(JobFailure) -> UInt32 {
        try begin(.read)
        do throws(LoaderError) { return try bootloader.readMemory(address) } catch {
            throw Self.memoryFailure(error, stage: .read, address: address)
        }
    }

    /// Writes `value` under `mask` at `address`, then reads the word back. Stage `write`.
    @discardableResult
    public func writeMemory(_ address: UInt32, value: UInt32, mask: UInt32 = 0xFFFF_FFFF) throws(JobFailure) -> UInt32 {
        try begin(.write)
        do throws(LoaderError) {
            try bootloader.writeMemory(address, value: value, mask: mask)
            return try bootloader.readMemory(address)
        } catch {
            throw Self.memoryFailure(error, stage: .write, address: address)
        }
    }

    /// `size` bytes (whole words) from `address`; progress events carry index 0 and `name`. Stage `read`.
    public func dumpMemory(address: UInt32, size: Int, name: String = "memory") throws(JobFailure) -> [UInt8] {
        guard size >= 4, UInt64(address) + UInt64(size) <= 1 << 32 else {
            throw JobFailure(stage: .arguments, reason: .invalidInput, message: "dump size must be at least 4 bytes and stay below 4 GB")
        }
        try begin(.read)
        let total = size / 4 * 4
        emit(.regionStarted(RegionInfo(index: 0, name: name, address: Int(address), size: total, md5: nil)))
        do throws(LoaderError) {
            return try bootloader.dumpMemory(address: address, size: size) { self.emit(.progress(index: 0, done: $0, total: total)) }
        } catch {
            throw Self.memoryFailure(error, stage: .read, address: nil)
        }
    }

    /// Loads `image`'s segments into RAM (MEM_BEGIN, MEM_DATA) and starts it at its entry point (MEM_END). Stage
    /// `check`: every segment must lie in the chip's RAM, and an ESP image must be for this chip (unless `force`);
    /// stage `write`: the segments, one region event each. Afterwards the chip runs the program: do not reset it
    /// (`DeviceJob.run(after: .noReset)`).
    public func loadRAM(_ image: RAMImage, name: String, force: Bool = false) throws(JobFailure) -> RAMLoadResult {
        try begin(.check)
        for note in try Self.checkRAMImage(image, name: name, chip: info.chip, force: force) { emit(.note(note, isWarning: true)) }
        try begin(.write)
        let blockSize = ramBlockSize
        var loaded: [RAMLoadResult.Segment] = []
        do throws(LoaderError) {
            for (i, segment) in image.segments.enumerated() {
                emit(.regionStarted(RegionInfo(index: i, name: name, address: Int(segment.address), size: segment.data.count,
                                               md5: md5Hex(segment.data))))
                try bootloader.loadSegment(address: segment.address, data: segment.data, blockSize: blockSize) {
                    self.emit(.progress(index: i, done: $0, total: segment.data.count))
                }
                emit(.regionWritten(index: i))
                loaded.append(RAMLoadResult.Segment(address: segment.address, size: segment.data.count))
            }
            try bootloader.finishRAMLoad(entry: image.entry)
        } catch {
            throw JobFailure(error, stage: .write)
        }
        return RAMLoadResult(segments: loaded, entry: image.entry, blockSize: blockSize)
    }

    /// load-ram's checks, also callable before connecting when the chip is known: an ESP image for another chip is
    /// refused (`incompatible_image`) unless `force` (then it is a returned warning), and every segment must lie in
    /// the chip's RAM (`invalid_input`).
    public static func checkRAMImage(_ image: RAMImage, name: String, chip: Chip, force: Bool) throws(JobFailure) -> [String] {
        var warnings: [String] = []
        if let id = image.chipID, id != chip.imageChipID {
            let imageChip = Chip.withImageChipID(id)?.displayName ?? "chip id \(id)"
            if !force {
                throw JobFailure(stage: .check, reason: .incompatibleImage, message: "\(name) is an \(imageChip) image, the chip is an \(chip.displayName)",
                                 help: "use --force to load it anyway")
            }
            warnings.append("\(name) is an \(imageChip) image; loading it anyway (--force)")
        }
        let outside = image.segmentsOutsideRAM(of: chip)
        if let first = outside.first {
            throw JobFailure(stage: .check, reason: .invalidInput,
                             message: "\(name): segment at 0x\(hex(Int(first.address))) (\(first.data.count) bytes) is not in the \(chip.displayName)'s RAM"
                                 + (outside.count > 1 ? " (and \(outside.count - 1) more)" : ""),
                             help: "load-ram takes programs linked for IRAM/DRAM only; flash-mapped code needs write-flash")
        }
        return warnings
    }

    /// Leaves the loader and boots the application in flash (esptool `run`). Stage `finish`.
    public func runApplication() throws(JobFailure) {
        try begin(.finish)
        do throws(LoaderError) { try bootloader.runUserCode() } catch {
            throw JobFailure(error, stage: .finish)
        }
    }

    /// esptool 5.6.0 (`use_usb_otg_block`) sends RAM in 0x800-byte blocks to chips with a USB-OTG download port
    /// (ESP32-S2, S3) when the port is that OTG port or its USB ids are unknown (a network port, a pty), since the
    /// OTG CDC ROM driver takes no more; 0x1800 otherwise.
    var ramBlockSize: Int {
        guard info.chip == .esp32s2 || info.chip == .esp32s3 else { return Bootloader.ramBlockSize }
        if case .serial(let path) = request.port, let port = SerialPortEnumerator.system().info(forDevice: path),
           port.vid != nil, port.kind != .usbOTG {
            return Bootloader.ramBlockSize
        }
        return Bootloader.usbOTGRAMBlockSize
    }

    static func memoryFailure(_ error: LoaderError, stage: JobStage, address: UInt32?) -> JobFailure {
        var failure = JobFailure(error, stage: stage)
        if error.kind == .timeout, let address {
            failure.message = "no reply at 0x\(hex(Int(address))): \(error.description)"
            failure.help = "only ROM, internal RAM and peripheral registers can be read; an unmapped address crashes the chip"
        }
        return failure
    }
}
