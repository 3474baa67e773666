/// ESP8266 images as esptool 5.6.0 reads them (`bin_image.py`): version 1 (`ESP8266ROMFirmwareImage`: 0xE9, the
/// 8-byte header, segments, checksum; no extended header, no SHA-256) and version 2 (`ESP8266V2FirmwareImage`:
/// 0xEA, an IROM segment stored at address 0 and left out of the checksum, then a version-1 header and segments).
extension FirmwareImage {
    /// First byte of a version 2 image (`IMAGE_V2_MAGIC`).
    public static let esp8266V2Magic: UInt8 = 0xEA
    /// The "segment count" a version 2 header normally holds (`IMAGE_V2_SEGMENT`).
    static let esp8266V2SegmentField: UInt8 = 4

    /// Parses an ESP8266 image of either version, by its first byte.
    public init(parsingESP8266 bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes, truncatedCode: "image.truncated")
        guard let first = bytes.first else { throw FormatError("image.empty", "the image is empty") }
        var warnings: [FormatWarning] = []
        var segments: [Segment] = []
        var header: (count: UInt8, mode: UInt8, sizeFrequency: UInt8, entry: UInt32)
        switch first {
        case Self.magic:
            header = try Self.commonHeader(&reader, magic: Self.magic)
        case Self.esp8266V2Magic:
            let outer = try Self.commonHeader(&reader, magic: Self.esp8266V2Magic)
            if outer.count != Self.esp8266V2SegmentField {
                warnings.append(FormatWarning("V2 header has unexpected \"segment\" count \(outer.count) (usually 4)", at: SourceLocation(byteOffset: 1)))
            }
            var irom = try Segment.read(&reader, index: 0)
            irom.loadAddress = 0  // stored with address 0; esptool keeps it there
            irom.includedInChecksum = false
            segments.append(irom)
            let secondHeaderOffset = reader.offset
            header = try Self.commonHeader(&reader, magic: Self.magic)
            warnings += Self.disagreements(outer, header, at: secondHeaderOffset)
        default:
            throw FormatError("image.bad_magic", "Invalid image magic number: \(first)", at: SourceLocation(field: "magic", byteOffset: 0))
        }
        for _ in 0..<Int(header.count) {
            let segment = try Segment.read(&reader, index: segments.count)
            if segment.loadAddress > 0x4020_0000 || segment.loadAddress < 0x3FFE_0000 || segment.data.count > 65536 {
                // `warn_if_unusual_segment` (the length esptool prints is the one in the file).
                let stored = Int(bytes[segment.fileOffset + 4]) | Int(bytes[segment.fileOffset + 5]) << 8
                    | Int(bytes[segment.fileOffset + 6]) << 16 | Int(bytes[segment.fileOffset + 7]) << 24
                warnings.append(FormatWarning("Suspicious segment 0x\(String(segment.loadAddress, radix: 16)), length \(stored)",
                                              at: SourceLocation(field: "segment \(segments.count)", byteOffset: segment.fileOffset)))
            }
            segments.append(segment)
        }
        let checksumOffset = try Self.checksumOffset(after: reader, total: bytes.count)
        try Self.checkSegmentCount(segments.count)
        self.init(version: first == Self.esp8266V2Magic ? 2 : 1, segmentCount: header.count, flashMode: header.mode,
                  flashSizeFrequency: header.sizeFrequency, entryPoint: header.entry, extendedHeader: nil, segments: segments,
                  storedChecksum: bytes[checksumOffset], dataLength: checksumOffset + 1, storedDigest: nil, computedDigest: nil,
                  warnings: warnings)
    }

    /// `load_common_header`: magic, segment count, flash mode, size/frequency, entry point.
    private static func commonHeader(_ reader: inout ByteReader, magic: UInt8) throws(FormatError)
        -> (count: UInt8, mode: UInt8, sizeFrequency: UInt8, entry: UInt32) {
        let at = reader.offset
        let found = try reader.readUInt8("the image header")
        guard found == magic else {
            throw FormatError("image.bad_magic", "Invalid firmware image magic=0x\(String(found, radix: 16))",
                              at: SourceLocation(field: "magic", byteOffset: at))
        }
        return (try reader.readUInt8("the image header"), try reader.readUInt8("the image header"),
                try reader.readUInt8("the image header"), try reader.readUInt32LE("the image header"))
    }

    /// The warnings esptool prints when a version 2 image's two headers disagree (it uses the second).
    private static func disagreements(_ first: (count: UInt8, mode: UInt8, sizeFrequency: UInt8, entry: UInt32),
                                      _ second: (count: UInt8, mode: UInt8, sizeFrequency: UInt8, entry: UInt32),
                                      at offset: Int) -> [FormatWarning] {
        func hex(_ v: some BinaryInteger, _ digits: Int) -> String {
            let h = String(v, radix: 16)
            return "0x" + String(repeating: "0", count: max(0, digits - h.count)) + h
        }
        var out: [FormatWarning] = []
        let place = SourceLocation(byteOffset: offset)
        if first.mode != second.mode {
            out.append(FormatWarning("Flash mode value in first header (\(hex(first.mode, 2))) disagrees with second (\(hex(second.mode, 2))). Using second value.", at: place))
        }
        if first.sizeFrequency != second.sizeFrequency {
            out.append(FormatWarning("Flash size/freq value in first header (\(hex(first.sizeFrequency, 2))) disagrees with second (\(hex(second.sizeFrequency, 2))). Using second value.", at: place))
        }
        if first.entry != second.entry {
            out.append(FormatWarning("Entrypoint address in first header (\(hex(first.entry, 8))) disagrees with second header (\(hex(second.entry, 8))). Using second value.", at: place))
        }
        return out
    }
}
