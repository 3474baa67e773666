/// The partition table's two forms behind `FormatDecoder` (catalog names `partition-csv`, `partition-binary`).

/// gen_esp32part's CSV as `partition-table` reads it (the checks `options` asks for included), written back as its
/// `to_csv` writes it.
public struct PartitionCSVFormat: TextFormatDecoder, FormatEncoder {
    public typealias Value = PartitionTable
    public var options: PartitionTableOptions

    public init(options: PartitionTableOptions = PartitionTableOptions()) { self.options = options }

    public var formatName: String { "partition-csv" }

    public func parse(_ text: String) throws(FormatError) -> PartitionTable {
        let table = try PartitionTable.parseCSV(text, options: options)
        if options.verify { _ = try table.verify(options) }
        return table
    }

    public func encode(_ table: PartitionTable) throws(FormatError) -> [UInt8] { Array(try table.csv(keywords: options.keywords).utf8) }

    /// The CSV round trip, and the table's binary: it decodes to the same entries and passes the binary's checks.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        let trip = roundTripProblem(bytes)
        if let problem = trip.problem { return problem }
        guard let table = trip.value, let binary = try? table.encoded(md5: options.md5) else { return nil }
        let back: PartitionTable
        do throws(FormatError) { back = try PartitionTable.decode(binary).table } catch {
            return "\(formatName): the binary written for a CSV table does not decode: \(error)"
        }
        guard back.entries.map(\.withoutLine) == table.entries.map(\.withoutLine) else {
            return "\(formatName): the binary of a CSV table decodes to other entries"
        }
        return PartitionBinaryFormat(checkMD5: true).checkProperties(binary)
    }
}

/// The binary table (32-byte records, MD5 record, FF end marker), written back with the MD5 record it had.
public struct PartitionBinaryFormat: FormatEncoder {
    public typealias Value = PartitionTable.Decoded
    public var checkMD5: Bool

    public init(checkMD5: Bool = true) { self.checkMD5 = checkMD5 }

    public var formatName: String { "partition-binary" }

    public func decode(_ bytes: [UInt8]) throws(FormatError) -> PartitionTable.Decoded {
        try PartitionTable.decode(bytes, checkMD5: checkMD5)
    }

    public func encode(_ decoded: PartitionTable.Decoded) throws(FormatError) -> [UInt8] {
        try decoded.table.encoded(md5: decoded.md5 != .absent)
    }

    /// The binary round trip, and the CSV this tool writes for the table: it reads back as the same entries, so a
    /// crafted label can neither become another partition nor change (labels it cannot write are refused).
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        let trip = roundTripProblem(bytes)
        if let problem = trip.problem { return problem }
        guard let table = trip.value?.table, let csv = try? table.csv() else { return nil }
        // Bootloader and partition-table rows take their offset and size from the options, not from the CSV.
        let placedByOptions: Set<UInt8> = [UInt8(PartitionKeywords.bootloaderType), UInt8(PartitionKeywords.partitionTableType)]
        guard !table.entries.contains(where: { placedByOptions.contains($0.type) }) else { return nil }
        // A table that breaks the table rules (overlapping rows …), or lists its rows out of offset order (which
        // gen_esp32part's CSV reader refuses too), may be refused when its CSV is read; one that keeps them must read
        // back. Either way the CSV never reads back as other entries.
        let back: PartitionTable
        do throws(FormatError) { back = try PartitionTable.parseCSV(csv) } catch {
            let offsets = table.entries.map(\.offset)
            guard offsets == offsets.sorted(), (try? table.verify(PartitionTableOptions())) != nil else { return nil }
            return "\(formatName): the CSV written for a valid binary table does not read back: \(error)"
        }
        guard back.entries.map(\.withoutLine) == table.entries.map(\.withoutLine) else {
            return "\(formatName): the CSV written for a binary table reads back as \(back.entries.count) other entries (\(table.entries.count) before)"
        }
        return nil
    }
}

extension PartitionEntry {
    /// The entry without the CSV line it came from, to compare entries read from different forms.
    var withoutLine: PartitionEntry {
        var copy = self
        copy.line = nil
        return copy
    }
}
