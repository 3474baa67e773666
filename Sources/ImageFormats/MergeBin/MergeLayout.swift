/// `merge-bin --layout`: a check esptool lacks. Every input must lie inside one partition of the given tables
/// (the main table, esp-at's at_customize.bin, or both) and fit it. Two kinds of file live outside partitions
/// by design and are recognised: the bootloader at the chip's bootloader offset, and a partition table binary
/// (it starts with `AA 50`); both must end before the first partition.
public enum MergeLayout {
    public struct Assignment: Sendable, Hashable {
        public var name: String
        public var address: Int
        public var length: Int
        /// The partition's name, or "bootloader" / "partition table".
        public var region: String
        /// The partition that holds the file, nil for the bootloader and a partition table.
        public var partition: PartitionEntry?
        /// Bytes left in the partition after the file.
        public var free: Int? { partition.map { Int($0.end) - (address + length) } }
    }

    public static func check(_ inputs: [MergeInput], tables: [PartitionTable], chip: Chip) throws(FormatError) -> [Assignment] {
        let partitions = tables.flatMap(\.entries).sorted { $0.offset < $1.offset }
        let firstPartition = partitions.first.map { Int($0.offset) } ?? Int.max
        var result: [Assignment] = []
        for input in inputs.sorted(by: { $0.address < $1.address }) {
            let range = "\(input.address.pythonHex)..\(input.end.pythonHex)"
            // The smallest partition holding the start: an at_customize.bin entry rather than the main table's
            // at_customize partition around it.
            let holders = partitions.filter { Int($0.offset) <= input.address && input.address < Int($0.end) }
            if let p = holders.min(by: { $0.size < $1.size }) {
                guard input.end <= Int(p.end) else {
                    throw FormatError("layout.too_big",
                                      "\(input.name) (\(range)) does not fit partition '\(p.name)' (\(Int(p.offset).pythonHex)..\(Int(p.end).pythonHex)): \(input.end - Int(p.end)) bytes too long",
                                      at: SourceLocation(field: input.name),
                                      help: "make the partition bigger in the partition table, or the file smaller")
                }
                result.append(Assignment(name: input.name, address: input.address, length: input.bytes.count, region: p.name, partition: p))
                continue
            }
            let region: String
            if input.address == chip.bootloaderOffset, input.bytes.first == FirmwareImage.magic {
                region = "bootloader"
            } else if PartitionTable.isBinary(input.bytes) {
                region = "partition table"
            } else {
                let next = partitions.first { Int($0.offset) > input.address }
                throw FormatError("layout.outside",
                                  "\(input.name) (\(range)) lies outside every partition"
                                  + (next.map { "; the next partition is '\($0.name)' at \(Int($0.offset).pythonHex)" } ?? ""),
                                  at: SourceLocation(field: input.name),
                                  help: "check the file's address against the partition table")
            }
            guard input.end <= firstPartition else {
                let p = partitions[0]
                throw FormatError("layout.too_big",
                                  "\(input.name) (\(range), the \(region)) runs into partition '\(p.name)' at \(Int(p.offset).pythonHex)",
                                  at: SourceLocation(field: input.name))
            }
            result.append(Assignment(name: input.name, address: input.address, length: input.bytes.count, region: region, partition: nil))
        }
        return result
    }
}
