import Crypto

/// An ESP32-family application or bootloader image (reference/esptool.md §9.1; esptool 5.6.0
/// `bin_image.py: ESP32FirmwareImage`). Parsing accepts exactly what esptool's loader accepts, so that "is this
/// a valid image" (used to decide header patching) gives the same answer.
public struct FirmwareImage: Sendable, Hashable {
    public static let magic: UInt8 = 0xE9
    /// First value of the XOR checksum (`ESPLoader.ESP_CHECKSUM_MAGIC`).
    public static let checksumSeed: UInt8 = 0xEF
    /// `BaseFirmwareImage.verify`: more segments than this is refused.
    public static let maxSegments = 16
    public static let headerLength = 8
    public static let extendedHeaderLength = 16
    public static let segmentHeaderLength = 8
    public static let digestLength = 32
    /// Byte offset of the hash-appended flag (the last byte of the extended header).
    public static let hashAppendedOffset = 23
    /// WP pin value meaning "not used" (`WP_PIN_DISABLED`).
    public static let wpPinDisabled: UInt8 = 0xEE

    public var segmentCount: UInt8
    public var flashMode: UInt8
    /// High nibble: size code, low nibble: frequency code.
    public var flashSizeFrequency: UInt8
    public var entryPoint: UInt32
    public var extendedHeader: ExtendedHeader
    public var segments: [Segment]
    public var storedChecksum: UInt8
    /// Length of the image up to and including the checksum byte (esptool's `data_length`).
    public var dataLength: Int
    /// The 32 bytes after the checksum when the header says a digest is appended (fewer if the file ends).
    public var storedDigest: [UInt8]?
    /// SHA-256 of the first `dataLength` bytes, when a digest is appended.
    public var computedDigest: [UInt8]?

    public var flashSizeCode: UInt8 { flashSizeFrequency & 0xF0 }
    public var flashFrequencyCode: UInt8 { flashSizeFrequency & 0x0F }

    /// 0xEF XOR every byte of every segment's data.
    public var computedChecksum: UInt8 {
        segments.reduce(Self.checksumSeed) { acc, segment in segment.data.reduce(acc, ^) }
    }

    public var checksumIsValid: Bool { computedChecksum == storedChecksum }
    public var digestIsValid: Bool? {
        guard let storedDigest, let computedDigest else { return nil }
        return storedDigest == computedDigest
    }

    /// Bytes 8–23 of the header.
    public struct ExtendedHeader: Sendable, Hashable {
        public var wpPin: UInt8
        /// SPI drive strengths, low nibble first: clk, q, d, cs, hd, wp.
        public var driveSettings: [UInt8]
        public var chipID: UInt16
        /// Legacy single-byte minimum revision.
        public var minRevision: UInt8
        /// major × 100 + minor.
        public var minRevisionFull: UInt16
        public var maxRevisionFull: UInt16
        public var reserved: [UInt8]
        public var hashAppended: Bool
    }

    /// One `load_addr, length, data` record.
    public struct Segment: Sendable, Hashable {
        public var loadAddress: UInt32
        /// File offset of the segment's 8-byte header.
        public var fileOffset: Int
        /// The data as esptool holds it: zero-padded to a multiple of 4 bytes unless loaded at address 0.
        public var data: [UInt8]
    }

    /// Parses `bytes` as an image. Errors name the byte offset and what was being read.
    public init(parsing bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes, truncatedCode: "image.truncated")
        guard !bytes.isEmpty else { throw FormatError("image.empty", "the image is empty") }
        let magic = try reader.readUInt8("the magic byte")
        guard magic == Self.magic else {
            throw FormatError("image.bad_magic", "not an ESP image: first byte is 0x\(hex2(magic)), expected 0xe9",
                              at: SourceLocation(field: "magic", byteOffset: 0))
        }
        segmentCount = try reader.readUInt8("the segment count")
        flashMode = try reader.readUInt8("the flash mode")
        flashSizeFrequency = try reader.readUInt8("the flash size/frequency byte")
        entryPoint = try reader.readUInt32LE("the entry point")
        let wpPin = try reader.readUInt8("the extended header")
        var drive: [UInt8] = []
        for _ in 0..<3 {
            let b = try reader.readUInt8("the extended header")
            drive += [b & 0x0F, b >> 4]
        }
        let chipID = try reader.readUInt16LE("the extended header")
        let minRev = try reader.readUInt8("the extended header")
        let minFull = try reader.readUInt16LE("the extended header")
        let maxFull = try reader.readUInt16LE("the extended header")
        let reserved = Array(try reader.readBytes(4, "the extended header"))
        let hashFlag = try reader.readUInt8("the extended header")
        guard hashFlag <= 1 else {
            throw FormatError("image.bad_hash_flag",
                              "hash-appended byte is 0x\(hex2(hashFlag)); it must be 0 or 1",
                              at: SourceLocation(field: "hash_appended", byteOffset: Self.hashAppendedOffset))
        }
        extendedHeader = ExtendedHeader(wpPin: wpPin, driveSettings: drive, chipID: chipID, minRevision: minRev,
                                        minRevisionFull: minFull, maxRevisionFull: maxFull, reserved: reserved,
                                        hashAppended: hashFlag == 1)
        segments = []
        for index in 0..<Int(segmentCount) {
            let headerOffset = reader.offset
            let load = try reader.readUInt32LE("the header of segment \(index)")
            let length = Int(try reader.readUInt32LE("the header of segment \(index)"))
            guard length <= reader.remaining else {
                throw FormatError("image.truncated",
                                  "segment \(index) at 0x\(String(load, radix: 16)) says \(length) bytes but only \(reader.remaining) remain",
                                  at: SourceLocation(field: "segment \(index)", byteOffset: headerOffset))
            }
            var data = Array(try reader.readBytes(length))
            // esptool's ImageSegment zero-pads every segment not loaded at 0 to a multiple of 4 bytes.
            if load != 0, data.count % 4 != 0 { data += [UInt8](repeating: 0, count: 4 - data.count % 4) }
            segments.append(Segment(loadAddress: load, fileOffset: headerOffset, data: data))
        }
        // The checksum is the last byte of the 16-byte block the segments end in.
        let checksumOffset = reader.offset | 15
        guard checksumOffset < bytes.count else {
            throw FormatError("image.truncated",
                              "the image ends after \(bytes.count) bytes, before its checksum byte at 0x\(String(checksumOffset, radix: 16))",
                              at: SourceLocation(field: "checksum", byteOffset: checksumOffset))
        }
        storedChecksum = bytes[checksumOffset]
        dataLength = checksumOffset + 1
        if extendedHeader.hashAppended {
            storedDigest = Array(bytes[dataLength..<min(bytes.count, dataLength + Self.digestLength)])
            computedDigest = Array(SHA256.hash(data: bytes[0..<dataLength]))
        }
        guard segments.count <= Self.maxSegments else {
            throw FormatError("image.too_many_segments",
                              "invalid segment count \(segments.count) (max \(Self.maxSegments))",
                              at: SourceLocation(field: "segment count", byteOffset: 1))
        }
    }
}

func hex2(_ b: UInt8) -> String { b < 16 ? "0" + String(b, radix: 16) : String(b, radix: 16) }

/// Lower-case hex of a byte string.
public func hexString<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}
