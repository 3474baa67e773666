/// Reads little-endian fields from a byte buffer, throwing a located error on a short read instead of trapping.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    /// Error code used when the input ends early; set by the format that owns the reader.
    public let truncatedCode: FormatError.Code

    public init(_ bytes: [UInt8], offset: Int = 0, truncatedCode: FormatError.Code = "bytes.truncated") {
        self.bytes = bytes
        self.offset = offset
        self.truncatedCode = truncatedCode
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    private mutating func require(_ count: Int, _ what: String) throws(FormatError) {
        guard count >= 0, remaining >= count else {
            throw FormatError(
                truncatedCode,
                "input ends after \(bytes.count) bytes; \(what) needs \(count) more byte(s) at offset 0x\(String(offset, radix: 16))",
                at: SourceLocation(byteOffset: offset))
        }
    }

    public mutating func readUInt8(_ what: String = "a byte") throws(FormatError) -> UInt8 {
        try require(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16LE(_ what: String = "a 16-bit field") throws(FormatError) -> UInt16 {
        try require(2, what)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    public mutating func readUInt32LE(_ what: String = "a 32-bit field") throws(FormatError) -> UInt32 {
        try require(4, what)
        defer { offset += 4 }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        return value
    }

    public mutating func readBytes(_ count: Int, _ what: String = "a field") throws(FormatError) -> ArraySlice<UInt8> {
        try require(count, what)
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    public mutating func skip(_ count: Int, _ what: String = "padding") throws(FormatError) {
        try require(count, what)
        offset += count
    }
}

/// Appends little-endian fields to a growing byte array.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func writeUInt16LE(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    public mutating func writeUInt32LE(_ value: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }

    public mutating func write<S: Sequence>(contentsOf other: S) where S.Element == UInt8 {
        bytes.append(contentsOf: other)
    }

    /// Writes `field` into exactly `width` bytes, padding with `fill`. The caller checks the length first.
    public mutating func write(_ field: [UInt8], paddedTo width: Int, fill: UInt8 = 0) {
        precondition(field.count <= width, "field longer than its width")
        bytes.append(contentsOf: field)
        bytes.append(contentsOf: repeatElement(fill, count: width - field.count))
    }

    public mutating func pad(to length: Int, with fill: UInt8) {
        if bytes.count < length { bytes.append(contentsOf: repeatElement(fill, count: length - bytes.count)) }
    }
}
