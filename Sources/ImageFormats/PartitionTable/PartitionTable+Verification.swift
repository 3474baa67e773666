/// gen_esp32part's `verify()` and `verify_size_fits()`: per-entry checks in table order, unique names,
/// offsets above the table and no overlaps (sorted by offset), one otadata of 8 KB, then the flash size.
extension PartitionTable {
    /// Checks the table and returns the warnings gen_esp32part would print. Throws the first problem found.
    /// `options.verify == false` skips everything but the flash size check, as `--no-verify` does.
    public func verify(_ options: PartitionTableOptions) throws(FormatError) -> [FormatWarning] {
        var warnings: [FormatWarning] = []
        if options.verify {
            for entry in entries { try verifyEntry(entry, options: options, warnings: &warnings) }
            try verifyUniqueNames()
            try verifyLayout(options)
            try verifySingleOtadata(subtype: 0x00, label: "otadata", subtypeText: "\"ota\"(0)")
            try verifySingleOtadata(subtype: 0x90, label: "TEE otadata", subtypeText: "\"tee_ota\"(0x90)")
        }
        if let flashSize = options.flashSize {
            let used = occupiedFlash
            if UInt64(flashSize) < used {
                let mb = 1024.0 * 1024.0
                let usedMB = (Double(used) / mb * 10).rounded() / 10
                throw FormatError("partition_table.flash_size",
                                  "Partitions tables occupies \(usedMB)MB of flash (\(used) bytes) which does not fit in configured flash size \(flashSize / (1024 * 1024))MB.",
                                  at: highestEntry.map { location($0, "Size") } ?? SourceLocation(),
                                  help: "use a larger --flash-size or shrink the partitions")
            }
        }
        return warnings
    }

    private func location(_ e: PartitionEntry, _ field: String) -> SourceLocation {
        SourceLocation(line: e.line, field: field, byteOffset: e.line == nil ? byteOffset(of: e) : nil)
    }

    private func byteOffset(of entry: PartitionEntry) -> Int? {
        entries.firstIndex(of: entry).map { $0 * PartitionEntry.recordSize }
    }

    private func verifyEntry(_ e: PartitionEntry, options: PartitionTableOptions, warnings: inout [FormatWarning]) throws(FormatError) {
        let type = Int(e.type), subtype = Int(e.subtype)
        let invalid = "Partition \(e.name) invalid: "
        let offsetAlign = Self.offsetAlignment(forType: type)
        if Int(e.offset) % offsetAlign != 0 {
            throw FormatError("partition_table.offset_alignment",
                              invalid + "Offset \(Int(e.offset).pythonHex) is not aligned to \(offsetAlign.pythonHex)",
                              at: location(e, "Offset"))
        }
        let sizeAlign = Self.sizeAlignment(forType: type, secure: options.secure)
        if Int(e.size) % sizeAlign != 0 {
            throw FormatError("partition_table.size_alignment",
                              invalid + "Size \(Int(e.size).pythonHex) is not aligned to \(sizeAlign.pythonHex)",
                              at: location(e, "Size"))
        }
        let keywords = options.keywords
        if let named = keywords.types.first(where: { $0.name == e.name }), named.value != type {
            warnings.append(FormatWarning(
                "Partition has name '\(e.name)' which is a partition type, but does not match this partition's type (\(type.pythonHex)). Mistake in partition table?",
                at: location(e, "Name")))
        }
        if keywords.allSubtypeNames.contains(e.name),
           keywords.subtypeKeywords(forType: type).first(where: { $0.name == e.name })?.value != subtype {
            warnings.append(FormatWarning(
                "Partition has name '\(e.name)' which is a partition subtype, but this partition has non-matching type \(type.pythonHex) and subtype \(subtype.pythonHex). Mistake in partition table?",
                at: location(e, "Name")))
        }
        if type == PartitionKeywords.dataType, subtype == 0x00 || subtype == 0x03, e.flags.contains(.readonly) {
            throw FormatError("partition_table.readonly",
                              invalid + "'\(e.name)' partition of type \(type) and subtype \(subtype) is always read-write and cannot be read-only",
                              at: location(e, "Flags"))
        }
        if type == PartitionKeywords.dataType, subtype == 0x02, Int(e.size) < Self.nvsReadWriteMinimumSize, !e.flags.contains(.readonly) {
            throw FormatError("partition_table.nvs_size",
                              invalid + "'\(e.name)' partition of type \(type) and subtype \(subtype) of this size (\(Int(e.size).pythonHex)) must be flagged as 'readonly' (the size of read/write NVS has to be at least \(Self.nvsReadWriteMinimumSize.pythonHex))",
                              at: location(e, "Size"), help: "add the 'readonly' flag or make it at least 12K")
        }
    }

    private func verifyUniqueNames() throws(FormatError) {
        var seen: [String: PartitionEntry] = [:]
        for e in entries {
            if let first = seen[e.name] {
                let firstAt = first.line.map { "line \($0)" } ?? "entry \(entries.firstIndex(of: first)! + 1)"
                throw FormatError("partition_table.duplicate_name",
                                  "Partition names must be unique: '\(e.name)' is already used on \(firstAt)",
                                  at: location(e, "Name"))
            }
            seen[e.name] = e
        }
    }

    private func verifyLayout(_ options: PartitionTableOptions) throws(FormatError) {
        let firstFree = options.tableOffset + Self.sectorSize
        // Stable sort by offset, as Python's sorted() is.
        let sorted = entries.enumerated().sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }.map(\.element)
        var last: PartitionEntry?
        for p in sorted {
            if Int(p.offset) < firstFree {
                let isPrimaryBootloader = Int(p.type) == PartitionKeywords.bootloaderType && p.subtype == 0
                let isPrimaryTable = Int(p.type) == PartitionKeywords.partitionTableType && p.subtype == 0
                if !(isPrimaryBootloader || isPrimaryTable) {
                    throw FormatError("partition_table.below_table",
                                      "Partition offset \(Int(p.offset).pythonHex) is below \(firstFree.pythonHex)",
                                      at: location(p, "Offset"),
                                      help: "the partition table at \(options.tableOffset.pythonHex) occupies one 4 KB sector")
                }
            }
            if let last, UInt64(p.offset) < last.end {
                let lastName = last.line.map { "'\(last.name)' (line \($0))" } ?? "'\(last.name)'"
                throw FormatError("partition_table.overlap",
                                  "Partition at \(Int(p.offset).pythonHex) overlaps \(Int(last.offset).pythonHex)-\((Int(last.end) - 1).pythonHex) of \(lastName)",
                                  at: location(p, "Offset"))
            }
            last = p
        }
    }

    private func verifySingleOtadata(subtype: UInt8, label: String, subtypeText: String) throws(FormatError) {
        let matches = entries.filter { Int($0.type) == PartitionKeywords.dataType && $0.subtype == subtype }
        if matches.count > 1 {
            // A few lines are enough to find them (a generated CSV may have thousands).
            let numbers = matches.compactMap { $0.line.map(String.init) }
            let lines = numbers.prefix(5).joined(separator: ", ") + (numbers.count > 5 ? " and \(numbers.count - 5) more" : "")
            throw FormatError("partition_table.multiple_otadata",
                              "Found multiple \(label) partitions. Only one partition can be defined with type=\"data\"(1) and subtype=\(subtypeText)." + (lines.isEmpty ? "" : " (lines \(lines))"),
                              at: location(matches[1], "SubType"))
        }
        if let only = matches.first, only.size != UInt32(Self.otadataSize) {
            throw FormatError("partition_table.otadata_size",
                              "\(label) partition must have size = 0x2000 (it has \(Int(only.size).pythonHex))",
                              at: location(only, "Size"))
        }
    }
}
