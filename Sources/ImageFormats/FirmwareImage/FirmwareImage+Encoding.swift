/// An ESP32-family image written back from its parsed fields, as esptool's `ESP32FirmwareImage.save` lays it out:
/// header, extended header, each segment (`load_addr, length, data`), zero padding so the checksum byte ends a
/// 16-byte block, the stored checksum, and the stored digest when one was appended. Nothing is recomputed, so an
/// image esptool wrote (segment lengths a multiple of 4, zero padding) comes back byte for byte; the fuzz target
/// checks that (ESP32ImageFormat).
extension FirmwareImage {
    public func encoded() throws(FormatError) -> [UInt8] {
        guard version == 1, let extended = extendedHeader else {
            throw FormatError("image.encode", "only ESP32-family images (with an extended header) are written back")
        }
        var w = ByteWriter(capacity: dataLength + Self.digestLength)
        w.write(Self.magic)
        w.write(segmentCount)
        w.write(flashMode)
        w.write(flashSizeFrequency)
        w.writeUInt32LE(entryPoint)
        w.write(extended.wpPin)
        for pair in 0..<3 {
            let low = extended.driveSettings.count > 2 * pair ? extended.driveSettings[2 * pair] : 0
            let high = extended.driveSettings.count > 2 * pair + 1 ? extended.driveSettings[2 * pair + 1] : 0
            w.write(low & 0x0F | high << 4)
        }
        w.writeUInt16LE(extended.chipID)
        w.write(extended.minRevision)
        w.writeUInt16LE(extended.minRevisionFull)
        w.writeUInt16LE(extended.maxRevisionFull)
        w.write(contentsOf: extended.reserved.prefix(4) + [UInt8](repeating: 0, count: max(0, 4 - extended.reserved.count)))
        w.write(extended.hashAppended ? 1 : 0)
        for segment in segments {
            w.writeUInt32LE(segment.loadAddress)
            w.writeUInt32LE(UInt32(segment.data.count))
            w.write(contentsOf: segment.data)
        }
        w.pad(to: w.bytes.count | 15, with: 0)
        w.write(storedChecksum)
        if extended.hashAppended, let storedDigest { w.write(contentsOf: storedDigest) }
        return w.bytes
    }
}
