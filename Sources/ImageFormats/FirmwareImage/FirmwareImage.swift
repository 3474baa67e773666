import Crypto

/// An application or bootloader image (reference/esptool.md §9.1; esptool 5.6.0 `bin_image.py`): the ESP32
/// family's (`ESP32FirmwareImage`, `init(parsing:)`) or the ESP8266's version 1 or 2 (ESP8266Image.swift).
/// Parsing accepts exactly what esptool's loader accepts, so that "is this a valid image" (used to decide header
/// patching) gives the same answer.
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

    /// esptool's `image.version`: 1, or 2 for an ESP8266 image that starts with 0xEA.
    public var version: Int = 1
    public var segmentCount: UInt8
    public var flashMode: UInt8
    /// High nibble: size code, low nibble: frequency code.
    public var flashSizeFrequency: UInt8
    public var entryPoint: UInt32
    /// Bytes 8–23; nil in ESP8266 images, which have none.
    public var extendedHeader: ExtendedHeader?
    public var segments: [Segment]
    public var storedChecksum: UInt8
    /// Length of the image up to and including the checksum byte (esptool's `data_length`).
    public var dataLength: Int
    /// The 32 bytes after the checksum when the header says a digest is appended (fewer if the file ends).
    public var storedDigest: [UInt8]?
    /// SHA-256 of the first `dataLength` bytes, when a digest is appended.
    public var computedDigest: [UInt8]?
    /// What esptool's loader warns about while reading (suspicious ESP8266 segments, disagreeing headers).
    public var warnings: [FormatWarning] = []

    public var flashSizeCode: UInt8 { flashSizeFrequency & 0xF0 }
    public var flashFrequencyCode: UInt8 { flashSizeFrequency & 0x0F }

    /// 0xEF XOR every byte of every segment's data (an ESP8266 v2 image's IROM segment is not included).
    public var computedChecksum: UInt8 {
        segments.filter(\.includedInChecksum).reduce(Self.checksumSeed) { acc, segment in segment.data.reduce(acc, ^) }
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
        /// False only for the IROM segment before an ESP8266 v2 image's second header.
        public var includedInChecksum = true

        /// Reads one `load_addr, length, data` record at the reader's position (`BaseFirmwareImage.load_segment`).
        static func read(_ reader: inout ByteReader, index: Int) throws(FormatError) -> Segment {
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
            return Segment(loadAddress: load, fileOffset: headerOffset, data: data)
        }
    }

    /// The checksum is the last byte of the 16-byte block the segments end in (`read_checksum`).
    static func checksumOffset(after reader: ByteReader, total: Int) throws(FormatError) -> Int {
        let checksumOffset = reader.offset | 15
        guard checksumOffset < total else {
            throw FormatError("image.truncated",
                              "the image ends after \(total) bytes, before its checksum byte at 0x\(String(checksumOffset, radix: 16))",
                              at: SourceLocation(field: "checksum", byteOffset: checksumOffset))
        }
        return checksumOffset
    }

    /// `BaseFirmwareImage.verify`.
    static func checkSegmentCount(_ count: Int) throws(FormatError) {
        guard count <= maxSegments else {
            throw FormatError("image.too_many_segments", "invalid segment count \(count) (max \(maxSegments))",
                              at: SourceLocation(field: "segment count", byteOffset: 1))
        }
    }

    init(version: Int, segmentCount: UInt8, flashMode: UInt8, flashSizeFrequency: UInt8, entryPoint: UInt32,
         extendedHeader: ExtendedHeader?, segments: [Segment], storedChecksum: UInt8, dataLength: Int,
         storedDigest: [UInt8]?, computedDigest: [UInt8]?, warnings: [FormatWarning]) {
        self.version = version
        self.segmentCount = segmentCount
        self.flashMode = flashMode
        self.flashSizeFrequency = flashSizeFrequency
        self.entryPoint = entryPoint
        self.extendedHeader = extendedHeader
        self.segments = segments
        self.storedChecksum = storedChecksum
        self.dataLength = dataLength
        self.storedDigest = storedDigest
        self.computedDigest = computedDigest
        self.warnings = warnings
    }

    /// The image as `chip`'s loader in esptool reads it (`LoadFirmwareImage`).
    public init(parsing bytes: [UInt8], for chip: Chip) throws(FormatError) {
        switch chip.imageFormat {
        case .esp32: try self.init(parsing: bytes)
        case .esp8266: try self.init(parsingESP8266: bytes)
        }
    }

    /// Parses `bytes` as an ESP32-family image. Errors name the byte offset and what was being read.
    public init(parsing bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes, truncatedCode: "image.truncated")
        guard !bytes.isEmpty else { throw FormatError("image.empty", "the image is empty") }
        let magic = try reader.readUInt8("the magic byte")
        guard magic == Self.magic else {
            throw FormatError("image.bad_magic", "not an ESP image: first byte is 0x\(magic.hexDigits()), expected 0xe9",
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
                              "hash-appended byte is 0x\(hashFlag.hexDigits()); it must be 0 or 1",
                              at: SourceLocation(field: "hash_appended", byteOffset: Self.hashAppendedOffset))
        }
        extendedHeader = ExtendedHeader(wpPin: wpPin, driveSettings: drive, chipID: chipID, minRevision: minRev,
                                        minRevisionFull: minFull, maxRevisionFull: maxFull, reserved: reserved,
                                        hashAppended: hashFlag == 1)
        segments = []
        for index in 0..<Int(segmentCount) { segments.append(try Segment.read(&reader, index: index)) }
        let checksumOffset = try Self.checksumOffset(after: reader, total: bytes.count)
        storedChecksum = bytes[checksumOffset]
        dataLength = checksumOffset + 1
        if hashFlag == 1 {
            storedDigest = Array(bytes[dataLength..<min(bytes.count, dataLength + Self.digestLength)])
            computedDigest = Array(SHA256.hash(data: bytes[0..<dataLength]))
        }
        try Self.checkSegmentCount(segments.count)
    }
}

