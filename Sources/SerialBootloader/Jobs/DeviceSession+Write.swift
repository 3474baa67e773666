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
        try guardChip(images, force: options.force, regions: untouched)
        var patched = images
        var patchedIndexes: Set<Int> = []
        let settings = FlashSettings(mode: options.flashMode, frequency: options.flashFrequency, size: headerFlashSize)
        if !settings.keepsEverything, mayPatchHeaders {
            for i in patched.indices {
                let result: (bytes: [UInt8], outcome: FlashSettings.PatchOutcome)
                do throws(FormatError) { result = try settings.patch(patched[i].data, at: patched[i].address, chip: info.chip) } catch {
                    throw JobFailure(stage: .check, reason: .invalidInput, message: "\(patched[i].name): \(error.message)", help: error.help,
                                     regions: untouched)
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
        } else if !settings.keepsEverything {
            emit(.note("secure boot or secure download mode is on: -fm/-ff/-fs are ignored, images are written unchanged", isWarning: true))
        }
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
        do throws(FlashFailure) {
            let done = try flasher.write(regions)
            return WriteResult(regions: report(done.regions), bytesSent: bytesSent - sentBefore, seconds: Clock.now() - started)
        } catch {
            var failure = JobFailure(error.error, stage: error.stage, regions: report(error.report.regions))
            if failure.reason != .cancelled { failure.help = "run the same command again: regions already in flash are skipped" }
            throw failure
        }
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
    var mayPatchHeaders: Bool {
        !(info.securityInfo?.secureBootEnabled ?? false) && !(info.securityInfo?.secureDownloadMode ?? false)
    }
}
