/// Options of a write (`write-flash`).
public struct FlashOptions: Sendable {
    /// FLASH_DEFL (zlib) instead of plain FLASH_DATA; a region that does not shrink is sent plain anyway.
    public var compress = true
    /// zlib's level when libdeflate is not used.
    public var compressionLevel: Int32 = 9
    /// Compress with libdeflate at its level 12 (about 2% fewer bytes than zlib -9), falling back to zlib.
    public var useLibDeflate = true
    /// Check every region's flash MD5 after writing (and once more after all regions).
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

    public init(loader: Bootloader, options: FlashOptions = FlashOptions(), onEvent: @escaping (JobEvent) -> Void = { _ in }) {
        self.loader = loader
        self.options = options
        self.onEvent = onEvent
    }

    var timeouts: CommandTimeouts { loader.timeouts }

    // MARK: - Write

    public func write(_ regions: [PlannedRegion]) throws(FlashFailure) -> FlashReport {
        let started = Clock.now()
        let sentBefore = loader.connection.bytesSent
        outcomes = regions.map(\.outcome)
        let retriesBefore = totalRetries
        func report() -> FlashReport {
            FlashReport(regions: outcomes, bytesSent: loader.connection.bytesSent - sentBefore, retries: totalRetries - retriesBefore, seconds: Clock.now() - started)
        }
        var current = 0
        do throws(LoaderError) {
            for (i, region) in regions.enumerated() {
                current = i
                try writeRegion(region, slot: i)
            }
            if options.verify {
                // A frame corrupted on the way can make the ROM erase the wrong place: check every region once more.
                onEvent(.stageStarted(.verify))
                for (i, region) in regions.enumerated() {
                    current = i
                    phase = .verify
                    let sent = loader.connection.bytesSent
                    let md5 = try withRecovery(slot: i) { () throws(LoaderError) in try self.loader.flashMD5(address: region.address, size: region.size) }
                    if md5 != region.md5 {
                        try recordRecovery(slot: i, reason: "region changed after it was verified")
                        phase = .write
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

    private func writeRegion(_ region: PlannedRegion, slot: Int, repairing: Bool = false) throws(LoaderError) {
        let sentBefore = loader.connection.bytesSent
        defer { outcomes[slot].bytesSent += loader.connection.bytesSent - sentBefore }
        if !repairing { onEvent(.regionStarted(outcomes[slot].info)) }
        phase = .write
        if options.skipUnchanged, !repairing {
            let md5 = try withRecovery(slot: slot) { () throws(LoaderError) in try self.loader.flashMD5(address: region.address, size: region.size) }
            if md5 == region.md5 {
                outcomes[slot].status = .skipped
                onEvent(.regionSkipped(index: region.index, reason: "flash already holds it (MD5 \(md5))"))
                return
            }
        }
        let passes = options.verify ? 3 : 1
        for pass in 0..<passes {
            // Segments are checked before writing when skipping is on, or when repairing (only what differs is redone).
            let checkFirst = options.skipUnchanged || repairing || pass > 0
            var done = 0
            for segment in region.segments {
                try writeSegment(segment, of: region, slot: slot, checkFirst: checkFirst && region.segments.count > 1 || pass > 0 || repairing, progressBase: done)
                done = segment.range.upperBound
                onEvent(.progress(index: region.index, done: done, total: region.size))
            }
            outcomes[slot].status = .written
            onEvent(.regionWritten(index: region.index))
            guard options.verify else { return }
            phase = .verify
            let md5 = try withRecovery(slot: slot) { () throws(LoaderError) in try self.loader.flashMD5(address: region.address, size: region.size) }
            if md5 == region.md5 {
                outcomes[slot].status = .verified
                onEvent(.regionVerified(index: region.index, md5: md5))
                return
            }
            if pass + 1 < passes { try recordRecovery(slot: slot, reason: "flash MD5 \(md5) does not match \(region.md5) after writing") }
            phase = .write
        }
        phase = .verify
        throw LoaderError(.mismatch, command: "verify", "\(region.name): the flash MD5 still differs from the file's after \(passes) writes")
    }

    private func writeSegment(_ segment: PlannedRegion.Segment, of region: PlannedRegion, slot: Int, checkFirst: Bool, progressBase: Int) throws(LoaderError) {
        let address = region.address + segment.range.lowerBound
        let bytes = region.data[segment.range]
        if segment.blank {
            let erasedMD5 = md5Hex([UInt8](repeating: 0xFF, count: bytes.count))
            if options.skipUnchanged || checkFirst {
                let md5 = try withRecovery(slot: slot) { () throws(LoaderError) in try self.loader.flashMD5(address: address, size: bytes.count) }
                if md5 == erasedMD5 { return }
            }
            onEvent(.erasing(index: region.index, address: address, size: bytes.count))
            try withRecovery(slot: slot) { () throws(LoaderError) in
                try self.loader.beginWrite(compressed: false, eraseSize: bytes.count, blocks: 0, address: address)
            }
            return
        }
        if checkFirst {
            let md5 = try withRecovery(slot: slot) { () throws(LoaderError) in try self.loader.flashMD5(address: address, size: bytes.count) }
            if md5 == md5Hex(bytes) { return }
        }
        outcomes[slot].dataBytes += bytes.count
        var resume = 0
        while true {
            do {
                try stream(bytes.dropFirst(resume), at: address + resume, slot: slot, progressBase: progressBase + resume, regionSize: region.size, regionIndex: region.index)
                return
            } catch where error.isRecoverable {
                try recordRecovery(slot: slot, reason: error.description, kind: error.kind)
                try reconnectWithinBudget(slot: slot)
                resume = try correctPrefix(of: bytes, at: address, hint: resume + acknowledged, slot: slot)
                if resume >= bytes.count { return }
                onEvent(.resumed(index: region.index, address: address + resume))
            }
        }
    }

    /// One BEGIN and its blocks for `bytes` at `address` (sector-aligned): a fresh zlib stream each time.
    private func stream(_ bytes: ArraySlice<UInt8>, at address: Int, slot: Int, progressBase: Int, regionSize: Int, regionIndex: Int) throws(LoaderError) {
        acknowledged = 0
        let plain = Array(bytes)
        var compressed = options.compress
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
            let md5 = try withRecovery(slot: slot) { () throws(LoaderError) in try self.loader.flashMD5(address: address, size: length) }
            return md5 == md5Hex(bytes[base..<(base + length)])
        }
        func sectorMatches(_ k: Int) throws(LoaderError) -> Bool {
            let range = (base + k * sector)..<min(bytes.endIndex, base + (k + 1) * sector)
            let md5 = try withRecovery(slot: slot) { () throws(LoaderError) in try self.loader.flashMD5(address: address + k * sector, size: range.count) }
            return md5 == md5Hex(bytes[range])
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

    private func reconnectWithinBudget(slot: Int) throws(LoaderError) {
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
