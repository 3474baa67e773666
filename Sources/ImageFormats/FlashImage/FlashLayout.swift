/// The partition tables of a whole flash image (a merged factory image or a read-flash dump, byte 0 = flash
/// address 0) and the partitions they list: the main table at `--offset` (0x8000 unless given; when nothing is
/// there, the first binary table found at a 4 KB boundary), and esp-at's secondary table `at_customize.bin` at the
/// offset of the main table's `at_customize` entry (reference/esp-at.md §1).
public struct FlashLayout: Sendable {
    public struct Table: Sendable {
        /// `partition table` or the name of the partition holding it (`at_customize`).
        public var name: String
        public var offset: Int
        public var table: PartitionTable
        public var md5: PartitionTable.MD5State
    }

    public struct Partition: Sendable {
        public var entry: PartitionEntry
        /// The table that lists it.
        public var table: String
        public var name: String { entry.name }
        public var range: Range<Int> { Int(entry.offset)..<Int(entry.end) }
    }

    public static let defaultTableOffset = 0x8000
    /// gen_esp32part's binary table length (entries, MD5 record, FF).
    public static let tableLength = 0xC00

    public let tables: [Table]

    public var partitions: [Partition] {
        tables.flatMap { table in table.table.entries.map { Partition(entry: $0, table: table.name) } }
    }

    /// Finds the tables in `image`. `tableOffset` pins the main table (an error when none is there).
    public static func locate(in image: [UInt8], tableOffset: Int? = nil) throws(FormatError) -> FlashLayout {
        let main: Table
        if let tableOffset {
            guard let found = try table(in: image, at: tableOffset, name: "partition table") else {
                throw FormatError("flash.no_table", "there is no partition table (AA 50) at 0x\(hexAddress(tableOffset))",
                                  at: SourceLocation(byteOffset: tableOffset))
            }
            main = found
        } else if let found = try table(in: image, at: defaultTableOffset, name: "partition table") {
            // A table at 0x8000 that does not read (a bad MD5, no end marker) is an error, not a reason to use
            // another table found by scanning.
            main = found
        } else if let found = scan(image) {
            main = found
        } else {
            throw FormatError("flash.no_table", "no partition table found (none at 0x8000 or at any 4 KB boundary)",
                              help: "is this a whole flash image starting at address 0? give the table's address with --offset")
        }
        var tables = [main]
        for entry in main.table.entries where entry.name == "at_customize" && entry.type == 0x40 {
            if let secondary = try table(in: image, at: Int(entry.offset), name: entry.name) { tables.append(secondary) }
        }
        return FlashLayout(tables: tables)
    }

    /// The partition called `name` in any table; an error naming what exists when there is none, or which tables
    /// disagree when there are two.
    public func partition(named name: String) throws(FormatError) -> Partition {
        let matches = partitions.filter { $0.name == name }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            throw FormatError("flash.no_partition", "no partition named '\(name)'",
                              help: "partitions: " + partitions.map { "\($0.name) (\($0.table))" }.joined(separator: ", "))
        }
        throw FormatError("flash.ambiguous_partition",
                          "'\(name)' is in more than one table: " + matches.map { "\($0.table) at 0x\(hexAddress(Int($0.entry.offset)))" }.joined(separator: ", "))
    }

    /// The partition that starts at `offset`, if any.
    public func partition(startingAt offset: Int) -> Partition? { partitions.first { Int($0.entry.offset) == offset } }

    /// The table at `offset`: nil when the bytes there do not start with `AA 50`; an error when they do but are
    /// not a valid table (bad MD5, no end marker).
    static func table(in image: [UInt8], at offset: Int, name: String) throws(FormatError) -> Table? {
        guard offset >= 0, offset + 2 <= image.count, image[offset] == 0xAA, image[offset + 1] == 0x50 else { return nil }
        let bytes = Array(image[offset..<min(image.count, offset + tableLength)])
        do throws(FormatError) {
            let decoded = try PartitionTable.decode(bytes)
            return Table(name: name, offset: offset, table: decoded.table, md5: decoded.md5)
        } catch {
            throw error.located(byteOffset: offset)
        }
    }

    /// The first valid binary table at a 4 KB boundary.
    static func scan(_ image: [UInt8]) -> Table? {
        for offset in stride(from: 0, to: image.count, by: 0x1000) {
            if let found = try? table(in: image, at: offset, name: "partition table"), !found.table.entries.isEmpty { return found }
        }
        return nil
    }
}

func hexAddress(_ value: Int) -> String { String(value, radix: 16) }
