import ImageFormats

extension DeviceSession {
    /// The verify job: whether the flash holds each file at its address (SPI_FLASH_MD5 over exactly its bytes, the
    /// bootloader header patched as `-fm/-ff/-fs` would have written it). Any difference fails the `verify` stage, the
    /// report marking each file `verified` or `differs`; with `showDifferences` a differing region is read back and
    /// its differing bytes are listed.
    public func verify(_ images: [FlashImage], options: VerifyOptions = VerifyOptions()) throws(JobFailure) -> VerifyResult {
        var regions = images.enumerated().map { i, image in
            let md5 = md5Hex(image.data)
            return RegionOutcome(index: i, name: image.name, address: image.address, size: image.data.count, md5: md5,
                                 flashAddress: image.address, flashSize: image.data.count, flashMD5: md5)
        }
        try begin(.check, regions: regions)
        try requireReadableFlash("verify", regions: regions)
        if let outside = images.first(where: { $0.address < 0 || $0.address + $0.data.count > info.flashSize.bytes }) {
            throw JobFailure(stage: .check, reason: .invalidInput,
                             message: "\(outside.name): ends past the end of the \(info.flashSize) flash", regions: regions)
        }
        let (expected, patchedIndexes) = try patchHeaders(images, flashMode: options.flashMode, flashFrequency: options.flashFrequency,
                                                          regions: regions)
        try begin(.verify, regions: regions)
        for (i, image) in expected.enumerated() {
            emit(.regionStarted(regions[i].info))
            let expectedMD5 = md5Hex(image.data)
            regions[i].patched = patchedIndexes.contains(i)
            let flashMD5: String
            do throws(LoaderError) {
                flashMD5 = try operations.withRecovery(slot: -1) { () throws(LoaderError) in
                    try self.bootloader.flashMD5(address: image.address, size: image.data.count)
                }
                regions[i].flashMD5 = flashMD5
                if flashMD5 != expectedMD5, options.showDifferences {
                    let flash = try operations.read(address: image.address, size: image.data.count)
                    let differing = image.data.indices.filter { $0 < flash.count && flash[$0] != image.data[$0] }
                    regions[i].differenceCount = differing.count
                    regions[i].differences = differing.prefix(FlashDifference.limit).map {
                        FlashDifference(address: image.address + $0, flash: flash[$0], file: image.data[$0])
                    }
                }
            } catch {
                regions[i].status = .failed
                regions[i].error = error.description
                throw JobFailure(error, stage: .verify, regions: regions)
            }
            if flashMD5 == expectedMD5 {
                regions[i].status = .verified
                emit(.regionVerified(index: i, md5: flashMD5))
            } else {
                regions[i].status = .differs
                regions[i].error = "flash MD5 \(flashMD5) differs from the file's \(expectedMD5)"
                    + (regions[i].differenceCount.map { " (\($0) bytes differ)" } ?? "")
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
        try requireReadableFlash("read", regions: [])
        try requireReachable(address: address, size: size)
        try begin(.read)
        emit(.regionStarted(RegionInfo(index: 0, name: name, address: address, size: size, md5: nil)))
        do throws(LoaderError) {
            let data = try operations.read(address: address, size: size) { self.emit(.progress(index: 0, done: $0, total: size)) }
            return ReadResult(address: address, data: data, md5: md5Hex(data))
        } catch {
            throw JobFailure(error, stage: .read)
        }
    }

    /// The erase job: FLASH_BEGINs over the range without data (the ROM has no erase command), 1 MB at a time with
    /// an `erasing` event for each, then an MD5 check that it reads as 0xFF (impossible in secure download mode:
    /// the result says so). As esptool, refused with flash encryption or secure boot on unless `force`; refused past
    /// 16 MB, which the ROM cannot address.
    public func erase(_ range: EraseRange, force: Bool = false) throws(JobFailure) -> EraseResult {
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
        if case .all = range, size > Chip.romAddressLimit {
            throw JobFailure(stage: .check, reason: .invalidInput,
                             message: "this \(info.flashSize) flash is larger than the 16 MB the ROM loader can address (24-bit addresses); nothing was erased",
                             help: "erase-region 0x0 16MB erases what the ROM reaches")
        }
        try requireReachable(address: address, size: size)
        if !force, !info.security.secureDownloadMode, info.security.flashEncryption || info.security.secureBoot {
            throw JobFailure(stage: .check, reason: .invalidInput,
                             message: "flash encryption or secure boot is on: erasing is refused as a safety measure (as esptool does)",
                             help: "use --force to erase anyway; the chip may not boot afterwards")
        }
        try begin(.erase)
        var verified = true
        do throws(LoaderError) {
            verified = try operations.erase(address: address, size: size) { done in
                let chunkStart = address + (done - 1) / Flasher.eraseChunk * Flasher.eraseChunk
                self.emit(.erasing(index: nil, address: chunkStart, size: address + done - chunkStart))
            }
        } catch {
            throw JobFailure(error, stage: .erase)
        }
        if !verified { emit(.note("secure download mode: the erased range cannot be read back to check it", isWarning: true)) }
        return EraseResult(address: address, size: size, verified: verified)
    }

    /// Secure download mode forbids reading flash (READ_FLASH_SLOW, SPI_FLASH_MD5).
    func requireReadableFlash(_ what: String, regions: [RegionOutcome]) throws(JobFailure) {
        guard info.security.secureDownloadMode else { return }
        throw JobFailure(stage: .check, reason: .deviceError,
                         message: "secure download mode: the ROM cannot read flash, so \(what) is not possible", regions: regions)
    }

    /// Ranges past 16 MB are refused: the ROM's 24-bit addresses would wrap them to the start of the flash.
    func requireReachable(address: Int, size: Int) throws(JobFailure) {
        guard address + size > Chip.romAddressLimit else { return }
        throw JobFailure(stage: .check, reason: .invalidInput,
                         message: "0x\(hex(address))+0x\(hex(size)) reaches past 16 MB, which the ROM loader cannot address (24-bit addresses would wrap to 0x0)")
    }
}
