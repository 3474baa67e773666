import Crypto

/// A partition table: the main one at 0x8000 or esp-at's at_customize.bin. Entries stay in the order they were
/// written (CSV order), which is also their order in the binary.
public struct PartitionTable: Sendable, Hashable {
    public var entries: [PartitionEntry]

    public init(entries: [PartitionEntry] = []) {
        self.entries = entries
    }

    /// What a binary said about its MD5 record.
    public enum MD5State: String, Sendable {
        /// No record before the end marker (esp-at v1.0–v1.1 and `--disable-md5sum` tables).
        case absent
        /// A record whose digest matches the entries before it.
        case valid
        /// A record that was not checked because checking was turned off.
        case unchecked
    }

    /// A table read from its binary form, with what the reader noticed on the way.
    public struct Decoded: Sendable {
        public var table: PartitionTable
        public var md5: MD5State
        public var warnings: [FormatWarning]
    }

    /// `true` when `bytes` look like a binary table (they start with the entry magic `AA 50`).
    public static func isBinary(_ bytes: [UInt8]) -> Bool { bytes.starts(with: PartitionEntry.magic) }

    /// Reads a binary table: 32-byte records up to the first all-`FF` record, with the MD5 record checked
    /// against the entries before it when `checkMD5` is on.
    public static func decode(_ bytes: [UInt8], checkMD5: Bool = true) throws(FormatError) -> Decoded {
        var md5 = Insecure.MD5()
        var state = MD5State.absent
        var warnings: [FormatWarning] = []
        var entries: [PartitionEntry] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + PartitionEntry.recordSize <= bytes.count else {
                throw FormatError("partition_table.length",
                                  "Partition table length must be a multiple of 32 bytes (the file has \(bytes.count) bytes and no end marker before the short record)",
                                  at: SourceLocation(byteOffset: offset))
            }
            let record = bytes[offset..<(offset + PartitionEntry.recordSize)]
            if record.allSatisfy({ $0 == 0xFF }) {
                return Decoded(table: PartitionTable(entries: entries), md5: state, warnings: warnings)
            }
            if record.starts(with: md5RecordPrefix.prefix(2)) {
                let stored = Array(record.suffix(16))
                if checkMD5 {
                    let computed = Array(md5.finalize())
                    guard stored == computed else {
                        throw FormatError("partition_table.md5_mismatch",
                                          "MD5 checksums don't match! (computed: 0x\(computed.hexString), parsed: 0x\(stored.hexString))",
                                          at: SourceLocation(byteOffset: offset),
                                          help: "the table was changed after it was generated; regenerate it from its CSV")
                    }
                    state = .valid
                } else {
                    state = .unchecked
                }
                offset += PartitionEntry.recordSize
                continue
            }
            md5.update(data: record)
            entries.append(try PartitionEntry(record: record, byteOffset: offset, warnings: &warnings))
            offset += PartitionEntry.recordSize
        }
        throw FormatError("partition_table.no_end_marker", "Partition table is missing an end-of-table marker",
                          at: SourceLocation(byteOffset: bytes.count),
                          help: "a table ends with a 32-byte record of 0xFF")
    }

    /// The binary form: entries, the MD5 record when `md5` is on, `FF` up to 0xC00 bytes.
    /// Refuses tables that do not fit (94 entries with MD5, 95 without).
    public func encoded(md5: Bool = true) throws(FormatError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.binaryLength)
        for entry in entries {
            if entry.name.utf8.count > PartitionEntry.labelSize {
                throw FormatError("partition_table.name_too_long",
                                  "name '\(entry.name)' is \(entry.name.utf8.count) bytes; a partition label holds at most 16",
                                  at: SourceLocation(line: entry.line, field: "Name"))
            }
            out += entry.record
        }
        if md5 {
            let digest = Array(Insecure.MD5.hash(data: out))
            out += Self.md5RecordPrefix + digest
        }
        if out.count >= Self.binaryLength {
            let limit = md5 ? 94 : 95
            let firstExtra = entries.count > limit ? entries[limit].line : nil
            throw FormatError("partition_table.too_many_entries",
                              "Binary partition table length (\(out.count)) longer than max: \(entries.count) entries, at most \(limit) fit\(md5 ? " with the MD5 record" : "")",
                              at: SourceLocation(line: firstExtra),
                              help: md5 ? "remove entries (or use --disable-md5sum to fit 95)" : "remove entries")
        }
        out += repeatElement(0xFF, count: Self.binaryLength - out.count)
        return out
    }

    /// Where the table ends in flash, as gen_esp32part measures it for `--flash-size`: the end of the entry with
    /// the highest offset (not the highest end address).
    public var occupiedFlash: UInt64 { highestEntry?.end ?? 0 }

    /// The entry with the highest offset (the first such in table order, as Python's stable sort finds it).
    public var highestEntry: PartitionEntry? {
        var best: PartitionEntry?
        for e in entries where best == nil || e.offset > best!.offset { best = e }
        return best
    }
}
