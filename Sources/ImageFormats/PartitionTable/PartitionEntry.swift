/// Flag bits of a partition entry (`PART_FLAG_ENCRYPTED`, `PART_FLAG_READONLY` in `esp_flash_partitions.h`).
public struct PartitionFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let encrypted = PartitionFlags(rawValue: 1 << 0)
    public static let readonly = PartitionFlags(rawValue: 1 << 1)

    /// CSV names in the order gen_esp32part joins them.
    public static let named: [(name: String, flag: PartitionFlags)] = [("encrypted", .encrypted), ("readonly", .readonly)]

    public var names: [String] { Self.named.filter { contains($0.flag) }.map(\.name) }
}

/// One 32-byte partition record (`esp_partition_info_t`): magic `AA 50`, type, subtype, offset, size,
/// a 16-byte label and flags, all little-endian.
public struct PartitionEntry: Sendable, Hashable {
    public static let magic: [UInt8] = [0xAA, 0x50]
    public static let recordSize = 32
    public static let labelSize = 16

    public var name: String
    public var type: UInt8
    public var subtype: UInt8
    public var offset: UInt32
    public var size: UInt32
    public var flags: PartitionFlags
    /// The CSV line this entry came from, for error messages; nil when read from a binary.
    public var line: Int?

    public init(name: String, type: UInt8, subtype: UInt8, offset: UInt32, size: UInt32,
                flags: PartitionFlags = [], line: Int? = nil) {
        self.name = name
        self.type = type
        self.subtype = subtype
        self.offset = offset
        self.size = size
        self.flags = flags
        self.line = line
    }

    public var end: UInt64 { UInt64(offset) + UInt64(size) }

    /// The record's bytes. The label must fit 16 bytes (checked when the entry is made from CSV).
    public var record: [UInt8] {
        var w = ByteWriter(capacity: Self.recordSize)
        w.write(contentsOf: Self.magic)
        w.write(type)
        w.write(subtype)
        w.writeUInt32LE(offset)
        w.writeUInt32LE(size)
        w.write(Array(name.utf8), paddedTo: Self.labelSize)
        w.writeUInt32LE(flags.rawValue)
        return w.bytes
    }

    /// Parses a record. Unknown flag bits are dropped with a warning, as gen_esp32part does.
    public init(record: ArraySlice<UInt8>, byteOffset: Int, warnings: inout [FormatWarning]) throws(FormatError) {
        var r = ByteReader(Array(record), truncatedCode: "partition_table.truncated")
        let magic = try r.readBytes(2, "magic")
        type = try r.readUInt8("type")
        subtype = try r.readUInt8("subtype")
        offset = try r.readUInt32LE("offset")
        size = try r.readUInt32LE("size")
        let label = try r.readBytes(Self.labelSize, "label")
        let rawFlags = try r.readUInt32LE("flags")
        let location = SourceLocation(byteOffset: byteOffset)
        guard Array(magic) == Self.magic else {
            let shown = magic.spacedHex
            throw FormatError("partition_table.bad_magic",
                              "Invalid magic bytes (\(shown)) for partition definition; expected AA 50",
                              at: location)
        }
        let labelBytes = label.prefix { $0 != 0 }
        guard let decoded = String(validating: labelBytes, as: UTF8.self) else {
            throw FormatError("partition_table.bad_label", "partition label is not valid UTF-8",
                              at: SourceLocation(field: "Name", byteOffset: byteOffset + 12))
        }
        name = decoded
        flags = PartitionFlags(rawValue: rawFlags).intersection([.encrypted, .readonly])
        let unknown = rawFlags & ~(PartitionFlags.encrypted.rawValue | PartitionFlags.readonly.rawValue)
        if unknown != 0 {
            let hex = String(unknown, radix: 16)
            warnings.append(FormatWarning(
                "Partition definition had unknown flag(s) 0x\(String(repeating: "0", count: max(0, 8 - hex.count)) + hex). Newer binary format?",
                at: location))
        }
        line = nil
    }
}
