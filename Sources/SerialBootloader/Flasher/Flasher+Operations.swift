/// The other flash operations: read, verify, erase. Each recovers from a lost or corrupted frame by re-syncing and
/// carrying on where it was.
extension Flasher {
    /// READ_FLASH_SLOW from `address`, then checks the bytes against the chip's MD5 of the same range.
    public func read(address: Int, size: Int, progress: (Int) -> Void = { _ in }) throws(LoaderError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        let chunk = 0x1000
        while out.count < size {
            let start = out.count
            let part = try withRecovery(slot: -1) { () throws(LoaderError) in
                try self.loader.readFlash(address: address + start, size: min(chunk, size - start))
            }
            out += part
            progress(out.count)
        }
        let md5 = try hash(slot: -1, address: address, size: size)
        guard md5 == md5Hex(out) else {
            throw LoaderError(.mismatch, command: "READ_FLASH_SLOW", "the data read (MD5 \(md5Hex(out))) differs from the flash MD5 \(md5)")
        }
        return out
    }

    /// Whether each image is in flash at its address (MD5 of exactly its bytes).
    public func verify(_ images: [FlashImage]) throws(LoaderError) -> [(image: FlashImage, flashMD5: String, matches: Bool)] {
        var results: [(FlashImage, String, Bool)] = []
        for image in images {
            let md5 = try hash(slot: -1, address: image.address, size: image.data.count)
            results.append((image, md5, md5 == md5Hex(image.data)))
        }
        return results
    }

    /// Erases `[address, address+size)` with FLASH_BEGINs that send no data (the ROM has no erase command), at
    /// most `eraseChunk` bytes each so that every one has a timeout fitting its size and progress shows between
    /// them; then checks by MD5 that the range reads as 0xFF (up to three tries). In secure download mode the check
    /// is impossible: the erase is reported as done but unverified (`verified` false).
    @discardableResult
    public func erase(address: Int, size: Int, progress: (Int) -> Void = { _ in }) throws(LoaderError) -> Bool {
        let erased = md5Hex([UInt8](repeating: 0xFF, count: size))
        let attempts = canReadFlash ? 3 : 1
        for attempt in 1...attempts {
            var done = 0
            while done < size {
                let chunk = min(Self.eraseChunk, size - done)
                let at = address + done
                do {
                    try loader.beginWrite(compressed: false, eraseSize: chunk, blocks: 0, address: at)
                } catch where error.isRecoverable {
                    try recordRecovery(slot: -1, reason: error.description, kind: error.kind)
                    try reconnectWithinBudget(slot: -1)
                    // A chip that answers a plain SYNC after the timeout was still erasing and has finished: the
                    // chunk is done (the MD5 check below tells). Only after a reset is it erased again.
                    if error.kind != .timeout || loader.lastReconnectReset { continue }
                }
                done += chunk
                progress(done)
            }
            guard canReadFlash else { return false }
            if try hash(slot: -1, address: address, size: size) == erased { return true }
            if attempt < attempts { try recordRecovery(slot: -1, reason: "0x\(hex(address))+0x\(hex(size)) does not read back as erased") }
        }
        throw LoaderError(.mismatch, command: "erase", "0x\(hex(address))+0x\(hex(size)) does not read back as erased")
    }

    /// The largest range one FLASH_BEGIN erases (its timeout is esptool's 40 s/MB for this size).
    public static let eraseChunk = 1 << 20
}
