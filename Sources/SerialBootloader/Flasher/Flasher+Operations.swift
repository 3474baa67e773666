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
        let md5 = try withRecovery(slot: -1) { () throws(LoaderError) in try self.loader.flashMD5(address: address, size: size) }
        guard md5 == md5Hex(out) else {
            throw LoaderError(.mismatch, command: "READ_FLASH_SLOW", "the data read (MD5 \(md5Hex(out))) differs from the flash MD5 \(md5)")
        }
        return out
    }

    /// Whether each image is in flash at its address (MD5 of exactly its bytes).
    public func verify(_ images: [FlashImage]) throws(LoaderError) -> [(image: FlashImage, flashMD5: String, matches: Bool)] {
        var results: [(FlashImage, String, Bool)] = []
        for image in images {
            let md5 = try withRecovery(slot: -1) { () throws(LoaderError) in
                try self.loader.flashMD5(address: image.address, size: image.data.count)
            }
            results.append((image, md5, md5 == md5Hex(image.data)))
        }
        return results
    }

    /// Erases `[address, address+size)` with a FLASH_BEGIN that sends no data (the ROM has no erase command),
    /// then checks by MD5 that it reads as 0xFF; up to three tries.
    public func erase(address: Int, size: Int) throws(LoaderError) {
        let erased = md5Hex([UInt8](repeating: 0xFF, count: size))
        let attempts = 3
        for attempt in 1...attempts {
            try withRecovery(slot: -1) { () throws(LoaderError) in
                try self.loader.beginWrite(compressed: false, eraseSize: size, blocks: 0, address: address)
            }
            let md5 = try withRecovery(slot: -1) { () throws(LoaderError) in try self.loader.flashMD5(address: address, size: size) }
            if md5 == erased { return }
            if attempt < attempts { try recordRecovery(slot: -1, reason: "0x\(hex(address))+0x\(hex(size)) does not read back as erased") }
        }
        throw LoaderError(.mismatch, command: "erase", "0x\(hex(address))+0x\(hex(size)) does not read back as erased")
    }
}
