/// Options of a write (`write-flash`).
public struct FlashOptions: Sendable {
    /// FLASH_DEFL (zlib) instead of plain FLASH_DATA; a region that does not shrink is sent plain anyway.
    public var compress = true
    /// zlib's level when libdeflate is not used.
    public var compressionLevel: Int32 = 9
    /// Compress with libdeflate at its level 12 (about 2% fewer bytes than zlib -9), falling back to zlib.
    public var useLibDeflate = true
    /// Check what was written by MD5 (each written segment once; every region again if one had to be rewritten).
    public var verify = true
    /// Leave a region (or segment) alone when its flash MD5 already matches.
    public var skipUnchanged = true
    /// Runs of 0xFF sectors at least this long are never sent, only erased where the chip does not already read
    /// 0xFF (see `PlannedRegion`). One sector: an erase (45 ms typical) and programming a 0xFF sector cost far more
    /// than the MD5 check and BEGIN a split adds (measured with scripts/bench-flash.sh).
    public var blankRunThreshold = 0x1000
    /// Re-sync-and-resume cycles allowed per region.
    public var recoveriesPerRegion = 10
    /// Resends of a block the ROM rejected with a checksum error (esptool `WRITE_BLOCK_ATTEMPTS`).
    public var blockAttempts = 3

    public init() {}
}

/// Writes regions through the ROM loader: compressed blocks, skipping what is already there, verifying by MD5,
/// and recovering from lost or corrupted frames by re-syncing and resuming after the part that is already right.
/// It prints nothing; progress goes to `onEvent` (a subset of the job events). The jobs (`DeviceSession`) build
/// on it; use it directly only for a `Bootloader` you connected yourself.
public final class Flasher {
    public let loader: Bootloader
    public var options: FlashOptions
    private let onEvent: (JobEvent) -> Void
    private var outcomes: [RegionOutcome] = []
    private var totalRetries = 0
    private var otherRetries = 0
    /// Retries over the flasher's life (reads, erases and writes): one per `retry` event it emitted.
    public var retries: Int { totalRetries }
    /// Uncompressed bytes of the current stream the ROM acknowledged (a hint for where to resume).
    private var acknowledged = 0
    /// Whether the work in progress is writing or checking (a failure's stage).
    private var phase = JobStage.write
    /// Whether a segment of this write had to be written again after it did not verify.
    private var rewroteSegments = false
    /// Bytes the chip hashed (SPI_FLASH_MD5) for this flasher's operations so far.
    public private(set) var hashedBytes = 0

    public init(loader: Bootloader, options: FlashOptions = FlashOptions(), onEvent: @escaping (JobEvent) -> Void = { _ in }) {
        self.loader = loader
        self.options = options
        self.onEvent = onEvent
    }

    var timeouts: CommandTimeouts { loader.timeouts }

    // MARK: - Write

    /// Writes the regions in address order (what a region's BEGIN erases lies above what is already checked) and
    /// hashes each segment of each region about once: a segment already in flash is skipped, a 0xFF run that reads
    /// 0xFF needs no erase, a written segment is checked after writing; together the checks cover every region.
    /// Only when a segment had to be written again (something may have landed elsewhere) is every region hashed
    /// once more. In secure download mode nothing can be hashed: everything is written and reported unverifiable.
    public func write(_ regions: [PlannedRegion]) throws(FlashFailure) -> FlashReport {
        let started = Clock.now()
        let sentBefore = loader.connection.bytesSent
        outcomes = regions.map(\.outcome)
        let retriesBefore = totalRetries
        func report() -> FlashReport {
            FlashReport(regions: outcomes, bytesSent: loader.connection.bytesSent - sentBefore, retries: totalRetries - retriesBefore, seconds: Clock.now() - started)
        }
        var current = 0
        rewroteSegments = false
        do throws(LoaderError) {
            for i in regions.indices.sorted(by: { regions[$0].address < regions[$1].address }) {
                current = i
                try writeRegion(regions[i], slot: i)
            }
            // Each written segment was verified as it was written; the verify stage is the final check, which only
            // hashes again if a segment had to be rewritten.
            if options.verify, canReadFlash { onEvent(.stageStarted(.verify)) }
            if options.verify, rewroteSegments, canReadFlash {
                for (i, region) in regions.enumerated() {
                    current = i
                    phase = .verify
                    let sent = loader.connection.bytesSent
                    if try hash(slot: i, address: region.address, size: region.size) != region.md5 {
                        try recordRecovery(slot: i, reason: "region changed after it was verified")
                        try writeRegion(region, slot: i, repairing: true)
                    }
                    outcomes[i].bytesSent += loader.connection.bytesSent - sent
                }
            }
        } catch {
            if !regions.isEmpty {
                outcomes[current].status = .failed
                outcomes[current].error = error.description
                onEvent(.regionFailed(index: regions[current].index, reason: error.description))
            }
            throw FlashFailure(error: error, stage: phase, report: report())
        }
        return report()
    }

    /// Whether the chip can hash its flash (not in secure download mode).
    var canReadFlash: Bool { !loader.secureDownloadMode }

    private func writeRegion(_ region: PlannedRegion, slot: Int, repairing: Bool = false) throws(LoaderError) {
        let sentBefore = loader.connection.bytesSent
        defer { outcomes[slot].bytesSent += loader.connection.bytesSent - sentBefore }
        if !repairing { onEvent(.regionStarted(outcomes[slot].info)) }
        phase = .write
        var wrote = false
        for segment in region.segments {
            wrote = try writeSegment(segment, of: region, slot: slot, checkFirst: options.skipUnchanged || repairing) || wrote
            onEvent(.progress(index: region.index, done: segment.range.upperBound, total: region.size))
        }
        if !canReadFlash {
            outcomes[slot].status = .unverifiable
            onEvent(.regionWritten(index: region.index))
            return
        }
        if !wrote, !repairing {
            outcomes[slot].status = .skipped
            onEvent(.regionSkipped(index: region.index, reason: "flash already holds it (MD5 \(region.md5))"))
            return
        }
        outcomes[slot].status = options.verify ? .verified : .written
        onEvent(.regionWritten(index: region.index))
        if options.verify { onEvent(.regionVerified(index: region.index, md5: region.md5)) }
    }

    /// One segment, hashed once where it can be: before writing to skip it (one sector probed first, so that a chip
    /// holding something else costs only that sector), after writing or erasing to verify it.
    /// Returns whether anything was written or erased.
    private func writeSegment(_ segment: PlannedRegion.Segment, of region: PlannedRegion, slot: Int, checkFirst: Bool) throws(LoaderError) -> Bool {
        let address = region.address + segment.range.lowerBound
        let bytes = region.data[segment.range]
        let expected = md5Hex(bytes)  // a blank segment's bytes are 0xFF
        if checkFirst, canReadFlash {
            phase = .write
            if try alreadyHolds(bytes, at: address, blank: segment.blank, slot: slot) { return false }
        }
        let attempts = options.verify && canReadFlash ? 3 : 1
        for attempt in 1...attempts {
            phase = .write
            if segment.blank {
                onEvent(.erasing(index: region.index, address: address, size: bytes.count))
                try withRecovery(slot: slot) { () throws(LoaderError) in
                    try self.loader.beginWrite(compressed: false, eraseSize: bytes.count, blocks: 0, address: address)
                }
            } else {
                try send(bytes, at: address, of: region, slot: slot, progressBase: segment.range.lowerBound)
            }
            guard attempts > 1 else { return true }
            phase = .verify
            let md5 = try hash(slot: slot, address: address, size: bytes.count)
            if md5 == expected { return true }
            if !rewroteSegments {
                // Every block was acknowledged, yet the data is not there: a FLASH_BEGIN garbled on the way (it carries
                // no checksum) erased and wrote elsewhere. The files get checked again at the end; what was elsewhere
                // cannot be known, so the user is told.
                onEvent(.note("0x\(hex(address))+0x\(hex(bytes.count)) did not hold what was sent: a command garbled on the line may "
                              + "have erased and written another part of the flash (outside the files, which are all checked again)",
                              isWarning: true))
            }
            rewroteSegments = true
            if attempt < attempts {
                try recordRecovery(slot: slot, reason: "0x\(hex(address))+0x\(hex(bytes.count)) reads MD5 \(md5), not \(expected), after writing")
            }
        }
        throw LoaderError(.mismatch, command: "verify", "\(region.name): the flash MD5 at 0x\(hex(address)) still differs after \(attempts) writes")
    }

    /// Whether the flash already holds a segment, hashing it once: one sector first (a dense segment's first sector
    /// with data, since a data segment may start with 0xFF sectors the erase plan kept in it, which a blank chip
    /// matches), so that a chip holding something else costs only that sector; then the rest of the segment.
    private func alreadyHolds(_ bytes: ArraySlice<UInt8>, at address: Int, blank: Bool, slot: Int) throws(LoaderError) -> Bool {
        let sector = PlannedRegion.sectorSize
        var probe = bytes.startIndex
        if !blank {
            while probe + sector < bytes.endIndex, bytes[probe..<(probe + sector)].allSatisfy({ $0 == 0xFF }) { probe += sector }
        }
        let probeEnd = min(bytes.endIndex, probe + sector)
        for piece in [probe..<probeEnd, bytes.startIndex..<probe, probeEnd..<bytes.endIndex] where !piece.isEmpty {
            let at = address + (piece.lowerBound - bytes.startIndex)
            if try hash(slot: slot, address: at, size: piece.count) != md5Hex(bytes[piece]) { return false }
        }
        return true
    }

    /// SPI_FLASH_MD5 with recovery, counted against the region in `slot`.
    func hash(slot: Int, address: Int, size: Int) throws(LoaderError) -> String {
        let md5 = try withRecovery(slot: slot) { () throws(LoaderError) in try self.loader.flashMD5(address: address, size: size) }
        if slot >= 0 { outcomes[slot].hashedBytes += size }
        hashedBytes += size
        return md5
    }

    /// Sends a dense segment; after a recoverable failure, re-syncs and resumes after the part the flash holds.
    private func send(_ bytes: ArraySlice<UInt8>, at address: Int, of region: PlannedRegion, slot: Int, progressBase: Int) throws(LoaderError) {
        outcomes[slot].dataBytes += bytes.count
        var resume = 0
        while true {
            do {
                try stream(bytes.dropFirst(resume), at: address + resume, slot: slot, progressBase: progressBase + resume, regionSize: region.size, regionIndex: region.index)
                return
            } catch where error.isRecoverable {
                try recordRecovery(slot: slot, reason: error.description, kind: error.kind)
                try reconnectWithinBudget(slot: slot)
                // Without MD5 (secure download mode) the flash cannot say what it holds: the segment starts over.
                resume = canReadFlash ? try correctPrefix(of: bytes, at: address, hint: resume + acknowledged, slot: slot) : 0
                if resume >= bytes.count { return }
                onEvent(.resumed(index: region.index, address: address + resume))
            }
        }
    }

    /// One BEGIN and its blocks for `bytes` at `address` (sector-aligned): a fresh zlib stream each time.
    private func stream(_ bytes: ArraySlice<UInt8>, at address: Int, slot: Int, progressBase: Int, regionSize: Int, regionIndex: Int) throws(LoaderError) {
        acknowledged = 0
        let plain = Array(bytes)
        var compressed = options.compress && loader.acceptsCompressedData
        var payload = plain
        if compressed {
            if options.useLibDeflate, let strong = LibDeflate.compress(plain) {
                payload = strong
            } else {
                do { payload = try Deflate.compress(plain, level: options.compressionLevel) } catch {
                    throw LoaderError(.badReply, command: "compress", error.description)
                }
            }
            if payload.count >= plain.count { payload = plain; compressed = false }
        }
        let blockSize = Bootloader.romBlockSize
        let blocks = (payload.count + blockSize - 1) / blockSize
        outcomes[slot].compressedBytes += payload.count
        // The ROM takes the uncompressed size rounded up to its block size (esptool.md §7.1 item 8).
        let eraseSize = compressed ? (plain.count + blockSize - 1) / blockSize * blockSize : plain.count
        try loader.beginWrite(compressed: compressed, eraseSize: eraseSize, blocks: blocks, address: address)
        let inflater: Inflater?
        do { inflater = compressed ? try Inflater() : nil } catch { throw LoaderError(.badReply, command: "inflate", error.description) }
        for sequence in 0..<blocks {
            var block = payload[(sequence * blockSize)..<min(payload.count, (sequence + 1) * blockSize)]
            let inflatedSize: Int
            if let inflater {
                // The ROM writes what the block inflates to before it answers: the timeout scales with that.
                do { inflatedSize = try inflater.inflate(Array(block)).count } catch { throw LoaderError(.badReply, command: "inflate", error.description) }
            } else {
                inflatedSize = block.count
                if block.count < blockSize { block = ArraySlice(Array(block) + [UInt8](repeating: 0xFF, count: blockSize - block.count)) }
            }
            var attempt = 1
            while true {
                do {
                    try loader.writeBlock(compressed: compressed, block, sequence: sequence, timeout: timeouts.write(inflatedBytes: inflatedSize))
                    break
                } catch where error.kind == .failed(RomError.badChecksum.rawValue) && attempt < options.blockAttempts {
                    // The ROM rejected the block without using it: the same block can go again.
                    attempt += 1
                    try recordRecovery(slot: slot, reason: "block \(sequence) rejected (\(error.message)); sending it again")
                }
            }
            acknowledged = min(plain.count, acknowledged + inflatedSize)
            onEvent(.progress(index: regionIndex, done: progressBase + acknowledged, total: regionSize))
        }
    }

    /// How much of `bytes` (at `address`) the flash already holds, in whole sectors: checks the sectors around
    /// `hint` one by one, or binary-searches the prefixes by MD5 when the part before `hint` is wrong too.
    private func correctPrefix(of bytes: ArraySlice<UInt8>, at address: Int, hint: Int, slot: Int) throws(LoaderError) -> Int {
        let sector = PlannedRegion.sectorSize
        let base = bytes.startIndex
        let sectors = (bytes.count + sector - 1) / sector
        func prefixMatches(_ k: Int) throws(LoaderError) -> Bool {
            if k == 0 { return true }
            let length = min(k * sector, bytes.count)
            return try hash(slot: slot, address: address, size: length) == md5Hex(bytes[base..<(base + length)])
        }
        func sectorMatches(_ k: Int) throws(LoaderError) -> Bool {
            let range = (base + k * sector)..<min(bytes.endIndex, base + (k + 1) * sector)
            return try hash(slot: slot, address: address + k * sector, size: range.count) == md5Hex(bytes[range])
        }
        let guess = min(sectors, hint / sector)
        if try prefixMatches(guess) {
            var k = guess
            // The block in flight when things went wrong covers at most a few sectors past the hint.
            while k < sectors, k < guess + 4, try sectorMatches(k) { k += 1 }
            return min(k * sector, bytes.count)
        }
        var low = 0, high = guess  // prefix(low) matches, prefix(high) does not
        while high - low > 1 {
            let middle = (low + high) / 2
            if try prefixMatches(middle) { low = middle } else { high = middle }
        }
        return low * sector
    }

    // MARK: - Recovery

    /// Counts a recovery against the region in `slot` (or, for -1, against the operation outside any region).
    /// When the budget is spent, the error thrown keeps `kind`, the kind of the last problem (a chip gone silent
    /// stays `noSync`).
    func recordRecovery(slot: Int, reason: String, kind: LoaderError.Kind = .badReply) throws(LoaderError) {
        totalRetries += 1
        let count: Int
        if slot >= 0 {
            outcomes[slot].retries += 1
            count = outcomes[slot].retries
        } else {
            otherRetries += 1
            count = otherRetries
        }
        onEvent(.retry(index: slot >= 0 ? outcomes[slot].index : nil, attempt: count, reason: reason))
        if count > options.recoveriesPerRegion {
            throw LoaderError(kind, command: "recover", "gave up after \(options.recoveriesPerRegion) recoveries; last problem: \(reason)")
        }
    }

    func reconnectWithinBudget(slot: Int) throws(LoaderError) {
        while true {
            do {
                try loader.reconnect()
                return
            } catch where error.isRecoverable {
                try recordRecovery(slot: slot, reason: "reconnect: \(error.description)", kind: error.kind)
            }
        }
    }

    /// Runs a short command, re-syncing and running it again after a recoverable failure.
    func withRecovery<T>(slot: Int, _ body: () throws(LoaderError) -> T) throws(LoaderError) -> T {
        while true {
            do {
                return try body()
            } catch where error.isRecoverable {
                try recordRecovery(slot: slot, reason: error.description, kind: error.kind)
                try reconnectWithinBudget(slot: slot)
            }
        }
    }
}
