import ImageFormats

extension DeviceSession {
    /// The verify job: whether the flash holds each file at its address (SPI_FLASH_MD5 over exactly its bytes).
    /// Any difference fails the `verify` stage, the report marking each file `verified` or `differs`.
    public func verify(_ images: [FlashImage]) throws(JobFailure) -> VerifyResult {
        var regions = images.enumerated().map { i, image in
            let md5 = md5Hex(image.data)
            return RegionOutcome(index: i, name: image.name, address: image.address, size: image.data.count, md5: md5,
                                 flashAddress: image.address, flashSize: image.data.count, flashMD5: md5)
        }
        try begin(.check, regions: regions)
        if let outside = images.first(where: { $0.address < 0 || $0.address + $0.data.count > info.flashSize.bytes }) {
            throw JobFailure(stage: .check, reason: .invalidInput,
                             message: "\(outside.name): ends past the end of the \(info.flashSize) flash", regions: regions)
        }
        try begin(.verify, regions: regions)
        for (i, image) in images.enumerated() {
            emit(.regionStarted(regions[i].info))
            let flashMD5: String
            do throws(LoaderError) {
                flashMD5 = try operations.withRecovery(slot: -1) { () throws(LoaderError) in
                    try self.bootloader.flashMD5(address: image.address, size: image.data.count)
                }
            } catch {
                regions[i].status = .failed
                regions[i].error = error.description
                throw JobFailure(error, stage: .verify, regions: regions)
            }
            regions[i].flashMD5 = flashMD5
            if flashMD5 == regions[i].md5 {
                regions[i].status = .verified
                emit(.regionVerified(index: i, md5: flashMD5))
            } else {
                regions[i].status = .differs
                regions[i].error = "flash MD5 \(flashMD5) differs from the file's \(regions[i].md5)"
                emit(.regionFailed(index: i, reason: regions[i].error!))
            }
        }
        let differing = regions.filter { $0.status == .differs }
        guard differing.isEmpty else {
            throw JobFailure(stage: .verify, reason: .verificationFailed,
                             message: "flash differs from " + differing.map { "\($0.name) at 0x\(hex($0.address))" }.joined(separator: ", "),
                             regions: regions)
        }
        return VerifyResult(regions: regions)
    }

    /// The read job: READ_FLASH_SLOW over the range, checked against the chip's MD5 of it. Progress events carry
    /// index 0 and `name`.
    public func read(address: Int, length: ReadLength, name: String = "flash") throws(JobFailure) -> ReadResult {
        try begin(.check)
        let size: Int = switch length {
        case .bytes(let n): n
        case .toEnd: info.flashSize.bytes - address
        }
        guard address >= 0, size > 0, address + size <= info.flashSize.bytes else {
            throw JobFailure(stage: .check, reason: .invalidInput,
                             message: "0x\(hex(address))+0x\(hex(max(0, size))) is outside the \(info.flashSize) flash")
        }
        try begin(.read)
        emit(.regionStarted(RegionInfo(index: 0, name: name, address: address, size: size, md5: nil)))
        do throws(LoaderError) {
            let data = try operations.read(address: address, size: size) { self.emit(.progress(index: 0, done: $0, total: size)) }
            return ReadResult(address: address, data: data, md5: md5Hex(data))
        } catch {
            throw JobFailure(error, stage: .read)
        }
    }

    /// The erase job: FLASH_BEGIN over the range without data (the ROM has no erase command), then an MD5 check
    /// that it reads as 0xFF.
    public func erase(_ range: EraseRange) throws(JobFailure) -> EraseResult {
        try begin(.check)
        let (address, size): (Int, Int) = switch range {
        case .region(let address, let size): (address, size)
        case .all: (0, info.flashSize.bytes)
        }
        let sector = PlannedRegion.sectorSize
        guard address >= 0, size > 0, address % sector == 0, size % sector == 0 else {
            throw JobFailure(stage: .check, reason: .invalidInput,
                             message: "erase range 0x\(hex(address))+0x\(hex(size)): address and size must be multiples of 4096, size not 0")
        }
        guard address + size <= info.flashSize.bytes else {
            throw JobFailure(stage: .check, reason: .invalidInput,
                             message: "0x\(hex(address))+0x\(hex(size)) is outside the \(info.flashSize) flash")
        }
        try begin(.erase)
        emit(.erasing(index: nil, address: address, size: size))
        do throws(LoaderError) { try operations.erase(address: address, size: size) } catch {
            throw JobFailure(error, stage: .erase)
        }
        return EraseResult(address: address, size: size)
    }
}
