/// CSV → table, following ESP-IDF v5.5 gen_esp32part.py: `Name, Type, SubType, Offset, Size, Flags`, `#` comment
/// lines, `$VAR` expansion, numbers as Python `int(x, 0)` with `K`/`M`, empty offsets placed after the previous row.
extension PartitionTable {
    /// One CSV row as written, before offsets are placed. Values may still be out of range here.
    struct Row {
        var line: Int
        var name: String
        var type: Int
        var subtype: Int
        var offset: Int?
        var size: Int
        var flags: PartitionFlags
    }

    /// Parses CSV text (already decoded) into a table and places missing offsets. Does not verify; see `verified`.
    public static func parseCSV(_ text: String, options: PartitionTableOptions = PartitionTableOptions()) throws(FormatError) -> PartitionTable {
        if let primary = options.primaryBootloaderOffset, primary >= options.tableOffset {
            throw FormatError("partition_table.bootloader_offset",
                              "Unsupported configuration. Primary bootloader must be below partition table. Check --primary-bootloader-offset=\(primary.pythonHex) and --offset=\(options.tableOffset.pythonHex)")
        }
        var rows: [Row] = []
        for (index, rawLine) in TextDecoding.splitLines(text).enumerated() {
            let lineNumber = index + 1
            // A quoted Name (how this tool writes labels that would not read back otherwise) is taken as it is,
            // before the rest of the line is expanded like any other.
            let quoted = try quotedName(String(rawLine), line: lineNumber)
            let expanded = try expandVariables(quoted?.rest ?? String(rawLine), options.variables, line: lineNumber)
            let line = expanded.trimmingWhitespace()
            if quoted == nil && (line.isEmpty || line.unicodeScalars.first == "#") { continue }
            rows.append(try parseRow(quoted == nil ? line : "," + line, name: quoted?.name, lineNumber: lineNumber, options: options))
        }
        return try place(rows, options: options)
    }

    /// `os.path.expandvars` followed by gen_esp32part's check that the line does not still start with `$NAME`.
    static func expandVariables(_ line: String, _ variables: [String: String], line lineNumber: Int) throws(FormatError) -> String {
        guard line.unicodeScalars.contains("$") else { return line }
        let scalars = Array(line.unicodeScalars)
        func isWord(_ c: Unicode.Scalar) -> Bool { c == "_" || (c.isASCII && c.properties.isAlphabetic) || ("0"..."9").contains(c) }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "$", i + 1 < scalars.count else { out.append(scalars[i]); i += 1; continue }
            var j = i + 1
            var name = ""
            var end = i + 1
            if scalars[j] == "{" {
                guard let close = scalars[(j + 1)...].firstIndex(of: "}") else { out.append(scalars[i]); i += 1; continue }
                name = String(String.UnicodeScalarView(scalars[(j + 1)..<close]))
                end = close + 1
            } else {
                while j < scalars.count, isWord(scalars[j]) { j += 1 }
                name = String(String.UnicodeScalarView(scalars[(i + 1)..<j]))
                end = j
            }
            if !name.isEmpty, let value = variables[name] {
                out.append(contentsOf: value.unicodeScalars)
            } else {
                out.append(contentsOf: scalars[i..<end])
            }
            i = max(end, i + 1)
        }
        let result = String(out)
        let rs = Array(result.unicodeScalars)
        if rs.count >= 2, rs[0] == "$", rs[1] == "_" || (rs[1].isASCII && rs[1].properties.isAlphabetic) {
            let name = String(String.UnicodeScalarView(rs.dropFirst().prefix { isWord($0) }))
            throw FormatError("partition_table.unknown_variable", "unknown variable '\(name)'",
                              at: SourceLocation(line: lineNumber),
                              help: "set \(name) in the environment or write the value itself")
        }
        return result
    }

    /// A line whose Name field is quoted (`"a,b",app,...`): the name (`""` stands for `"`) and the text after its
    /// comma. Nil when the line does not start with a quote. gen_esp32part has no quoting and would keep the quotes
    /// in the label; no real table has a name starting with one.
    static func quotedName(_ line: String, line lineNumber: Int) throws(FormatError) -> (name: String, rest: String)? {
        // Code points, not Characters: a quote followed by a combining mark is one Swift Character.
        let scalars = Array(line.unicodeScalars)
        func skipSpace(from start: Int) -> Int {
            var at = start
            while at < scalars.count, scalars[at].properties.isWhitespace { at += 1 }
            return at
        }
        var i = skipSpace(from: 0)
        guard i < scalars.count, scalars[i] == "\"" else { return nil }
        i += 1
        var name = String.UnicodeScalarView()
        while i < scalars.count {
            let c = scalars[i]
            i += 1
            guard c == "\"" else { name.append(c); continue }
            if i < scalars.count, scalars[i] == "\"" {
                name.append("\"")
                i += 1
                continue
            }
            let rest = skipSpace(from: i)
            guard rest == scalars.count || scalars[rest] == "," else {
                let text = String(String.UnicodeScalarView(scalars[rest..<min(scalars.count, rest + 20)]))
                throw FormatError("partition_table.quoted_name", "text after the quoted name: '\(text)'",
                                  at: SourceLocation(line: lineNumber, field: "Name"), help: "put a comma right after the closing quote")
            }
            return (String(name), String(String.UnicodeScalarView(scalars[min(scalars.count, rest + 1)...])))
        }
        throw FormatError("partition_table.quoted_name", "the quoted name has no closing quote",
                          at: SourceLocation(line: lineNumber, field: "Name"), help: "a quote inside a quoted name is written twice (\"\")")
    }

    static func parseRow(_ line: String, name quotedName: String? = nil, lineNumber: Int, options: PartitionTableOptions) throws(FormatError) -> Row {
        // Split on the code point, as Python does: a comma followed by a combining mark is one Swift Character.
        let fields = (line + ",,,,").unicodeScalars.split(separator: ",", omittingEmptySubsequences: false)
            .map { String(String.UnicodeScalarView($0)).trimmingWhitespace() }
        func located(_ error: FormatError, _ field: String) -> FormatError { error.located(line: lineNumber, field: field) }
        let keywords = options.keywords

        let name = quotedName ?? fields[0]
        if name.contains("\0") {
            // The device reads a label up to its first NUL: two names differing after one would collide there.
            throw FormatError("partition_table.name_nul", "the name holds a NUL byte; the device would read only '\(name.prefix { $0 != "\0" })'",
                              at: SourceLocation(line: lineNumber, field: "Name"))
        }
        if name.utf8.count > PartitionEntry.labelSize {
            // gen_esp32part truncates silently, so two long names can even collide on the device.
            throw FormatError("partition_table.name_too_long",
                              "name '\(name)' is \(name.utf8.count) bytes; a partition label holds at most 16 (gen_esp32part would silently cut it to '\(String(decoding: name.utf8.prefix(16), as: UTF8.self))')",
                              at: SourceLocation(line: lineNumber, field: "Name"))
        }

        guard !fields[1].isEmpty else {
            throw FormatError("partition_table.empty_type", "Field 'type' can't be left empty.", at: SourceLocation(line: lineNumber, field: "Type"))
        }
        let type: Int
        do throws(FormatError) { type = try parseNumber(fields[1], keywords: keywords.types) } catch { throw located(error, "Type") }
        guard (0...0xFF).contains(type) else {
            throw FormatError("partition_table.type_range", "type \(fields[1]) (\(type)) is outside 0..255 (0x40-0xFE for custom types)",
                              at: SourceLocation(line: lineNumber, field: "Type"))
        }

        let subtype: Int
        if fields[2].isEmpty {
            guard type != PartitionKeywords.appType else {
                throw FormatError("partition_table.empty_subtype", "App partition cannot have an empty subtype",
                                  at: SourceLocation(line: lineNumber, field: "SubType"))
            }
            subtype = 0x06  // data/undefined, for every non-app type
        } else {
            do throws(FormatError) { subtype = try parseNumber(fields[2], keywords: keywords.subtypeKeywords(forType: type)) } catch { throw located(error, "SubType") }
        }
        guard (0...0xFF).contains(subtype) else {
            throw FormatError("partition_table.subtype_range", "subtype \(fields[2]) (\(subtype)) is outside 0..255",
                              at: SourceLocation(line: lineNumber, field: "SubType"))
        }

        let offset: Int?
        do throws(FormatError) { offset = try parseOffset(fields[3], type: type, subtype: subtype, options: options) } catch { throw located(error, "Offset") }

        let size: Int
        do throws(FormatError) {
            guard let parsed = try parseSize(fields[4], type: type, options: options) else {
                throw FormatError("partition_table.empty_size", "Size field can't be empty")
            }
            size = parsed
        } catch { throw located(error, "Size") }

        var flags: PartitionFlags = []
        for flag in fields[5].split(separator: ":", omittingEmptySubsequences: false) where !flag.isEmpty {
            guard let known = PartitionFlags.named.first(where: { $0.name == flag }) else {
                throw FormatError("partition_table.unknown_flag", "CSV flag column contains unknown flag '\(flag)'",
                                  at: SourceLocation(line: lineNumber, field: "Flags"),
                                  help: "flags are 'encrypted' and 'readonly', separated by ':' without spaces")
            }
            flags.insert(known.flag)
        }
        return Row(line: lineNumber, name: name, type: type, subtype: subtype, offset: offset, size: size, flags: flags)
    }

    /// gen_esp32part's `parse_int`: a `k`/`m` suffix multiplies (recursively), then `int(v, 0)`, then a keyword.
    static func parseNumber(_ text: String, keywords: [PartitionKeywords.Keyword]) throws(FormatError) -> Int {
        // The recursion's levels, walked as slices of one text. Lowercasing never joins code points, so a level
        // of more than 4 UTF-8 bytes per code point of the longest keyword cannot be one, and only its last
        // character decides the suffix: a fuzzed field of thousands of k's no longer lowercases every level whole.
        let longestKeyword = keywords.map(\.name.unicodeScalars.count).max() ?? 0
        var level = Substring(text)
        var suffixes: [(text: Substring, multiplier: Int)] = []
        var value: Int
        while true {
            // A whole-word keyword wins first; gen_esp32part would strip a trailing k/m from it and fail.
            if level.utf8.count <= 4 * longestKeyword {
                let lower = level.lowercased()
                if let match = keywords.first(where: { $0.name == lower }) { value = match.value; break }
            }
            let last = level.last.map { String($0).lowercased() } ?? ""
            if let multiplier = last == "k" ? 1024 : last == "m" ? 1024 * 1024 : nil {
                suffixes.append((level, multiplier))
                // Not `dropLast()`: without an argument that is Collection's, which counts the whole text.
                level = level[..<level.index(before: level.endIndex)]
                continue
            }
            value = try parsePlainNumber(String(level), keywords: keywords)
            break
        }
        for suffix in suffixes.reversed() {
            let (product, overflow) = value.multipliedReportingOverflow(by: suffix.multiplier)
            guard !overflow else { throw FormatError("partition_table.number_range", "value \(suffix.text) is too large") }
            value = product
        }
        return value
    }

    /// `int(v, 0)`, or the error for a field that is neither a number nor one of `keywords`.
    private static func parsePlainNumber(_ text: String, keywords: [PartitionKeywords.Keyword]) throws(FormatError) -> Int {
        switch IntegerText.python(text) {
        case .value(let v): return v
        case .outOfRange: throw FormatError("partition_table.number_range", "value \(text) is too large")
        case .invalid:
            if keywords.isEmpty {
                let hint = text.first == "0" && text.count > 1 && text.allSatisfy(\.isNumber)
                    ? "write decimal numbers without a leading zero, or use 0x for hex" : nil
                throw FormatError("partition_table.invalid_number", "Invalid field value \(text)", help: hint)
            }
            throw FormatError("partition_table.unknown_keyword",
                              "Value '\(text)' is not valid. Known keywords: " + keywords.map(\.name).joined(separator: ", "))
        }
    }

    static func parseOffset(_ text: String, type: Int, subtype: Int, options: PartitionTableOptions) throws(FormatError) -> Int? {
        if type == PartitionKeywords.bootloaderType {
            if subtype == 0x00 { return try primaryBootloaderOffset(options) }
            if subtype == 0x02 {
                guard let recovery = options.recoveryBootloaderOffset else {
                    throw FormatError("partition_table.bootloader_offset",
                                      "Recovery bootloader offset is not defined. Please use --recovery-bootloader-offset")
                }
                return recovery
            }
        }
        if type == PartitionKeywords.partitionTableType && subtype == 0x00 { return options.tableOffset }
        if text.isEmpty { return nil }
        return try parseNumber(text, keywords: [])
    }

    static func parseSize(_ text: String, type: Int, options: PartitionTableOptions) throws(FormatError) -> Int? {
        if type == PartitionKeywords.bootloaderType { return options.tableOffset - (try primaryBootloaderOffset(options)) }
        if type == PartitionKeywords.partitionTableType { return sectorSize }
        if text.isEmpty { return nil }
        return try parseNumber(text, keywords: [])
    }

    private static func primaryBootloaderOffset(_ options: PartitionTableOptions) throws(FormatError) -> Int {
        guard let offset = options.primaryBootloaderOffset else {
            throw FormatError("partition_table.bootloader_offset",
                              "Primary bootloader offset is not defined. Please use --primary-bootloader-offset")
        }
        return offset
    }

    /// Places rows without an offset after the previous row (aligned for their type), turns negative sizes into
    /// end addresses, and refuses explicit offsets below the previous row's end — all in CSV order.
    static func place(_ rows: [Row], options: PartitionTableOptions) throws(FormatError) -> PartitionTable {
        var rows = rows
        var lastEnd = options.tableOffset + sectorSize
        for i in rows.indices {
            let row = rows[i]
            let isPrimaryBootloader = row.type == PartitionKeywords.bootloaderType && row.subtype == 0x00
            let isPrimaryTable = row.type == PartitionKeywords.partitionTableType && row.subtype == 0x00
            if isPrimaryBootloader || isPrimaryTable { continue }
            if let offset = row.offset, offset < lastEnd {
                let message = i == 0
                    ? "Partitions overlap. Partition sets offset \(offset.pythonHex). But partition table occupies the whole sector \(options.tableOffset.pythonHex). Use a free offset \(lastEnd.pythonHex) or higher."
                    : "Partitions overlap. Partition sets offset \(offset.pythonHex). Previous partition ends \(lastEnd.pythonHex)"
                throw FormatError("partition_table.overlap", message, at: SourceLocation(line: row.line, field: "Offset"),
                                  help: "rows with explicit offsets must be in ascending order; leave Offset empty to place it automatically")
            }
            if rows[i].offset == nil {
                let align = offsetAlignment(forType: row.type)
                if lastEnd % align != 0 { lastEnd += align - lastEnd % align }
                rows[i].offset = lastEnd
            }
            if rows[i].size < 0 { rows[i].size = -rows[i].size - rows[i].offset! }
            lastEnd = rows[i].offset! + rows[i].size
        }
        var entries: [PartitionEntry] = []
        entries.reserveCapacity(rows.count)
        for row in rows {
            let offset = row.offset!
            guard (0...Int(UInt32.max)).contains(offset) else {
                throw FormatError("partition_table.offset_range", "offset \(offset.pythonHex) does not fit in 32 bits",
                                  at: SourceLocation(line: row.line, field: "Offset"))
            }
            guard (0...Int(UInt32.max)).contains(row.size) else {
                let why = row.size < 0 ? "is negative (a negative Size is an end address, and this one lies before the offset)" : "does not fit in 32 bits"
                throw FormatError("partition_table.size_range", "size \(row.size.pythonHex) \(why)",
                                  at: SourceLocation(line: row.line, field: "Size"))
            }
            entries.append(PartitionEntry(name: row.name, type: UInt8(row.type), subtype: UInt8(row.subtype),
                                          offset: UInt32(offset), size: UInt32(row.size), flags: row.flags, line: row.line))
        }
        return PartitionTable(entries: entries)
    }
}
