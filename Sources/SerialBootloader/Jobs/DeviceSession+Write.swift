import ImageFormats

extension DeviceSession {
    /// Checks that need no chip (stage `arguments`): no empty file, no negative address, no two files in one 4 KB
    /// sector. Call it before connecting; `write` checks the same again.
    public static func checkImages(_ images: [FlashImage]) throws(JobFailure) {
        do throws(FlashPlanError) { _ = try PlannedRegion.plan(images, flashSize: nil) } catch {
            throw JobFailure(stage: .arguments, reason: .invalidInput, message: error.description)
        }
    }

    /// The write job. Stage `check`: the chip guard (every image, and the bootloader and apps inside a merged image,
    /// must be for this chip and revision, unless `options.force`), the `-fm/-ff/-fs` header patch at the bootloader
    /// offset, and the fit in the flash; nothing is written if any fails. Then `erase` (with `eraseAll`), `write`
    /// and `verify`: compressed blocks, unchanged regions skipped, every region checked by MD5, lost frames and
    /// ports recovered from. A failure carries every file's state.
    public func write(_ images: [FlashImage], options: WriteOptions = WriteOptions()) throws(JobFailure) -> WriteResult {
        let started = Clock.now()
        let sentBefore = bytesSent
        var transfer = options.transfer
        if options.eraseAll { transfer.skipUnchanged = false }
        let untouched = images.enumerated().map { PlannedRegion(index: $0.offset, image: $0.element, blankRunThreshold: transfer.blankRunThreshold).outcome }
        try begin(.check, regions: untouched)
        try checkReachable(images, regions: untouched)
        try guardChip(images, force: options.force, regions: untouched)
        try guardSecurity(images, force: options.force, regions: untouched)
        let (patched, patchedIndexes) = try patchHeaders(images, flashMode: options.flashMode, flashFrequency: options.flashFrequency,
                                                         regions: untouched)
        let regions: [PlannedRegion]
        do throws(FlashPlanError) {
            regions = try PlannedRegion.plan(patched, flashSize: info.flashSize.bytes, blankRunThreshold: transfer.blankRunThreshold)
        } catch {
            throw JobFailure(stage: .check, reason: .invalidInput, message: error.description, regions: untouched)
        }
        // Reports name each file by its own bytes, also where the header was patched.
        func report(_ outcomes: [RegionOutcome]) -> [RegionOutcome] {
            outcomes.map { outcome in
                var o = outcome
                if patchedIndexes.contains(o.index) { o.md5 = untouched[o.index].md5; o.patched = true }
                return o
            }
        }
        let flasher = operations
        flasher.options = transfer
        if options.eraseAll {
            try begin(.erase, regions: report(regions.map(\.outcome)))
            emit(.erasing(index: nil, address: 0, size: info.flashSize.bytes))
            do throws(LoaderError) { try flasher.erase(address: 0, size: info.flashSize.bytes) } catch {
                throw JobFailure(error, stage: .erase, regions: report(regions.map(\.outcome)))
            }
        }
        try begin(.write, regions: report(regions.map(\.outcome)))
        let hashedBefore = flasher.hashedBytes
        let done: FlashReport
        do throws(FlashFailure) { done = try flasher.write(regions) } catch {
            var failure = JobFailure(error.error, stage: error.stage, regions: report(error.report.regions))
            if failure.reason != .cancelled { failure.help = "run the same command again: regions already in flash are skipped" }
            throw failure
        }
        if done.regions.contains(where: { $0.status == .unverifiable }) {
            let message = "secure download mode: the chip cannot read its flash back, so nothing written was verified"
            guard !transfer.verify else {
                throw JobFailure(stage: .verify, reason: .notVerifiable, message: message,
                                 help: "--no-verify accepts writes that cannot be verified", regions: report(done.regions))
            }
            emit(.note(message, isWarning: true))
        }
        return WriteResult(regions: report(done.regions), bytesSent: bytesSent - sentBefore, seconds: Clock.now() - started,
                           hashedBytes: flasher.hashedBytes - hashedBefore)
    }

    /// Files reaching past 16 MB fail the check stage: the ROM's 24-bit flash addresses would wrap them onto the
    /// start of the flash (and its MD5 would wrap the same way, so a check would not notice).
    private func checkReachable(_ images: [FlashImage], regions: [RegionOutcome]) throws(JobFailure) {
        guard let image = images.first(where: { $0.address + $0.data.count > Chip.romAddressLimit }) else { return }
        throw JobFailure(stage: .check, reason: .invalidInput,
                         message: "\(image.name): 0x\(hex(image.address))+0x\(hex(image.data.count)) reaches past 16 MB; the ROM loader sends "
                            + "24-bit flash addresses, so it would wrap to 0x\(hex(max(0, image.address - Chip.romAddressLimit))) over the start of the flash",
                         help: "nothing was written; only the first 16 MB can be written through the ROM loader", regions: regions)
    }

    /// esptool's safety checks before writing (`write_flash`, skipped with `--force`): under ESP32 secure boot v1
    /// the bootloader region below 0x8000 is not written; plaintext onto an encrypting chip is refused where the
    /// ROM cannot encrypt (secure download mode, or manual encryption disabled). Stricter than esptool: with flash
    /// encryption on, a plaintext firmware image (magic 0xE9) is refused too, since the chip would decrypt it into
    /// garbage and not boot.
    private func guardSecurity(_ images: [FlashImage], force: Bool, regions: [RegionOutcome]) throws(JobFailure) {
        let security = info.security
        var problems: [String] = []
        if security.secureBootV1, let low = images.first(where: { $0.address < 0x8000 }) {
            problems.append("secure boot v1 is on: \(low.name) at 0x\(hex(low.address)) would overwrite the bootloader region below 0x8000")
        }
        if security.flashEncryption {
            if security.secureDownloadMode || security.manualEncryptDisabled == true {
                problems.append("flash encryption is on and the ROM cannot encrypt what it writes "
                                + (security.secureDownloadMode ? "(secure download mode)" : "(DIS_DOWNLOAD_MANUAL_ENCRYPT)")
                                + ": writing plaintext may brick the chip")
            }
            if let plain = images.first(where: { $0.data.first == FirmwareImage.magic }) {
                problems.append("flash encryption is on: \(plain.name) is a plaintext firmware image, which the chip would decrypt into garbage")
            }
        }
        guard !problems.isEmpty else { return }
        if force {
            for p in problems { emit(.note(p + "; writing anyway (--force)", isWarning: true)) }
            return
        }
        throw JobFailure(stage: .check, reason: .invalidInput, message: problems[0] + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""),
                         help: "nothing was written; write encrypted data, or use --force to write anyway", regions: regions)
    }

    /// `-fm/-ff/-fs` applied to the image at the chip's bootloader offset, as esptool does before writing or
    /// verifying (a `headerPatched` event per rewritten header); the indexes of the images changed. Under secure
    /// boot or secure download mode headers stay as they are, with a warning.
    func patchHeaders(_ images: [FlashImage], flashMode: FlashMode?, flashFrequency: FlashFrequency?,
                      regions: [RegionOutcome]) throws(JobFailure) -> ([FlashImage], Set<Int>) {
        var patched = images
        var patchedIndexes: Set<Int> = []
        let settings = FlashSettings(mode: flashMode, frequency: flashFrequency, size: headerFlashSize)
        guard !settings.keepsEverything else { return (patched, []) }
        guard mayPatchHeaders else {
            emit(.note("secure boot or secure download mode is on: -fm/-ff/-fs are ignored, images are written unchanged", isWarning: true))
            return (patched, [])
        }
        for i in patched.indices {
            let result: (bytes: [UInt8], outcome: FlashSettings.PatchOutcome)
            do throws(FormatError) { result = try settings.patch(patched[i].data, at: patched[i].address, chip: info.chip) } catch {
                throw JobFailure(stage: .check, reason: .invalidInput, message: "\(patched[i].name): \(error.message)", help: error.help,
                                 regions: regions)
            }
            switch result.outcome {
            case .notApplicable: break
            case .notAnImage(let why): emit(.note(why, isWarning: true))
            case .patched(let parameters, _, _):
                patched[i].data = result.bytes
                patchedIndexes.insert(i)
                emit(.headerPatched(index: i, parameters: parameters))
            }
        }
        return (patched, patchedIndexes)
    }

    /// The chip guard: mismatches fail the check stage, or with `force` become warnings.
    private func guardChip(_ images: [FlashImage], force: Bool, regions: [RegionOutcome]) throws(JobFailure) {
        var mismatches: [ImageMismatch] = []
        var sawImage = false
        for image in images {
            if image.data.first == FirmwareImage.magic { sawImage = true }
            mismatches += ImageCompatibility.mismatches(in: image.data, at: image.address, name: image.name, chip: info.chip,
                                                        revision: info.revision)
        }
        if info.revision == nil, sawImage {
            emit(.note("the revision of this \(info.chip.displayName) is not read; images' minimum revisions are not checked", isWarning: false))
        }
        guard !mismatches.isEmpty else { return }
        if force {
            for m in mismatches { emit(.note("\(m.description); writing it anyway (--force)", isWarning: true)) }
            return
        }
        let more = mismatches.count > 1 ? " (and \(mismatches.count - 1) more)" : ""
        throw JobFailure(stage: .check, reason: .incompatibleImage, message: mismatches[0].description + more,
                         help: "nothing was written; use --force to write it anyway", regions: regions)
    }

    /// The header's flash size for `-fs`: nil for `keep`.
    var headerFlashSize: FlashSize? {
        switch request.flashSize {
        case .keep: nil
        case .detect: info.flashSize
        case .fixed(let size): size
        }
    }

    /// esptool leaves headers alone under secure boot or secure download mode: a signed bootloader must not change,
    /// and in secure download mode the flash cannot be read back to check it.
    var mayPatchHeaders: Bool { !info.security.secureBoot && !info.security.secureDownloadMode }
}
