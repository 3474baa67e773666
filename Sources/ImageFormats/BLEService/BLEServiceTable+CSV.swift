extension BLEServiceTable {
    /// The largest attribute value the Bluetooth Core Specification allows (Vol 3, Part F, 3.2.9).
    public static let maximumValueLength = 512

    /// Reads the service CSV (`index,uuid_len,uuid,perm,val_max_len,val_cur_len,value`) as the final Python 3
    /// BLEService.py does, and additionally refuses what breaks the firmware or what the original silently gets
    /// wrong: a uuid that does not fit `uuid_len`, unknown permission bits, a value longer than `val_max_len`,
    /// `val_cur_len` above `val_max_len` or above the value's length, indexes out of order, and rows after the
    /// all-empty row that ends the table (the original drops them). What the firmware takes but may not be meant
    /// (`val_cur_len` missing or shorter than the value: it uses that many bytes) is a warning naming the row.
    /// Returns the table and warnings.
    public static func parseCSV(_ text: String) throws(FormatError) -> (table: BLEServiceTable, warnings: [FormatWarning]) {
        let records = PythonCSV.records(text)
        guard let header = records.first, !header.isBlank else {
            throw FormatError(.bleBadHeader, "the first line must be the header index,uuid_len,uuid,perm,val_max_len,val_cur_len,value",
                              at: SourceLocation(line: 1))
        }
        var columns: [Key] = []
        for name in header.fields {
            guard let key = Key(rawValue: name) else {
                throw FormatError(.bleBadHeader, "unknown column '\(name)'", at: SourceLocation(line: header.line, field: name),
                                  help: "the columns are index,uuid_len,uuid,perm,val_max_len,val_cur_len,value (no spaces)")
            }
            guard !columns.contains(key) else {
                throw FormatError(.bleBadHeader, "column '\(name)' appears twice", at: SourceLocation(line: header.line, field: name))
            }
            columns.append(key)
        }
        for key in [Key.index, .uuidLength, .uuid, .permissions] where !columns.contains(key) {
            throw FormatError(.bleBadHeader, "the header has no '\(key.rawValue)' column, which every row needs",
                              at: SourceLocation(line: header.line))
        }
        let keyOrder = columns + Key.allCases.filter { !columns.contains($0) }

        var attributes: [Attribute] = []
        var warnings: [FormatWarning] = []
        var endRow: PythonCSV.Record?
        for record in records.dropFirst() where !record.isBlank {
            if let endRow {
                throw FormatError(.bleBadRow, "row after the empty row on line \(endRow.line), which ends the table",
                                  at: SourceLocation(line: record.line),
                                  help: "BLEService.py silently drops these rows; delete the empty row or the rows after it")
            }
            if record.isAllEmpty {
                endRow = record
                continue
            }
            guard record.fields.count <= columns.count else {
                throw FormatError(.bleBadRow, "row has \(record.fields.count) cells but the header has \(columns.count)",
                                  at: SourceLocation(line: record.line))
            }
            var cells: [Key: String] = [:]
            for (i, key) in columns.enumerated() where i < record.fields.count { cells[key] = record.fields[i] }
            let (attribute, rowWarnings) = try parseRow(cells, line: record.line, expectedIndex: attributes.count)
            attributes.append(attribute)
            warnings += rowWarnings
        }
        guard !attributes.isEmpty else {
            throw FormatError(.bleBadRow, "the table has no attributes", at: SourceLocation(line: header.line),
                              help: "add at least one primary service row, e.g. 0,16,0x2800,0x01,2,2,A002")
        }
        if let first = attributes.first, first.uuidLength == 16, !["2800", "2801"].contains(first.uuid) {
            warnings.append(FormatWarning("the first attribute is not a service declaration (uuid 0x2800 or 0x2801)",
                                          at: SourceLocation(line: records.dropFirst().first { !$0.isBlank }?.line, field: "uuid")))
        }
        return (BLEServiceTable(attributes: attributes, keyOrder: keyOrder), warnings)
    }

    private static func parseRow(_ cells: [Key: String], line: Int, expectedIndex: Int) throws(FormatError) -> (Attribute, [FormatWarning]) {
        func location(_ key: Key) -> SourceLocation { SourceLocation(line: line, field: key.rawValue) }
        func required(_ key: Key) throws(FormatError) -> String {
            guard let cell = cells[key], !cell.isEmpty else {
                throw FormatError(.bleBadCell, "empty cell; this column has no default", at: location(key))
            }
            return cell
        }
        var warnings: [FormatWarning] = []

        let index = try decimal(try required(.index), at: location(.index))
        guard index == expectedIndex else {
            throw FormatError(.bleBadCell, "index \(index) is out of order; expected \(expectedIndex)", at: location(.index),
                              help: "number the rows 0, 1, 2, … in order")
        }
        let uuidLength = try decimal(try required(.uuidLength), at: location(.uuidLength))
        guard uuidLengths.contains(uuidLength) else {
            throw FormatError(.bleBadCell, "uuid_len must be 16, 32 or 128, not \(uuidLength)", at: location(.uuidLength))
        }
        let uuidDigits = try hexDigits(try required(.uuid), at: location(.uuid))
        var significant = String(uuidDigits.drop { $0 == "0" })
        guard significant.count * 4 <= uuidLength else {
            throw FormatError(.bleBadCell, "uuid 0x\(uuidDigits) does not fit in uuid_len \(uuidLength) bits", at: location(.uuid))
        }
        if significant.isEmpty { significant = "0" }
        let uuid = (significant.count % 2 == 1 ? "0" : "") + significant
        if uuidLength == 128, uuid.count < 32 {
            warnings.append(FormatWarning("the 128-bit uuid starts with zero bytes, which the stored text drops (\"\(uuid)\")",
                                          at: location(.uuid)))
        }
        let permDigits = try hexDigits(try required(.permissions), at: location(.permissions))
        let significantPerm = permDigits.drop { $0 == "0" }
        guard significantPerm.count <= 4, let permissions = Int(significantPerm.isEmpty ? "0" : String(significantPerm), radix: 16),
              permissions & ~permissionMask == 0 else {
            throw FormatError(.bleBadCell, "perm 0x\(permDigits) has bits the firmware does not define", at: location(.permissions),
                              help: "perm is hex (0x11 = READ|WRITE); the bits are 0x01,0x02,0x04,0x10,0x20,0x40,0x80,0x100,0x200,0x400")
        }
        let maxLength = try cells[.maxLength].flatMap { $0.isEmpty ? nil : $0 }.map { (t: String) throws(FormatError) in
            try decimal(t, at: location(.maxLength))
        } ?? 512
        let currentLength = try cells[.currentLength].flatMap { $0.isEmpty ? nil : $0 }.map { (t: String) throws(FormatError) in
            try decimal(t, at: location(.currentLength))
        } ?? 0
        let value = try hexValue(cells[.value] ?? "", at: location(.value), warnings: &warnings)
        let valueBytes = value.utf8.count / 2

        // Refused: what the firmware cannot use (it copies val_cur_len bytes of the value into an attribute of
        // val_max_len bytes). Warned: what it takes, but probably not as meant.
        guard maxLength <= maximumValueLength else {
            throw FormatError(.bleBadCell, "val_max_len \(maxLength) is above the Bluetooth limit of \(maximumValueLength) bytes",
                              at: location(.maxLength))
        }
        guard valueBytes <= maxLength else {
            throw FormatError(.bleBadCell, "the value has \(valueBytes) byte(s), more than val_max_len \(maxLength)", at: location(.value),
                              help: "shorten the value or raise val_max_len to at least \(valueBytes)")
        }
        guard currentLength <= maxLength else {
            throw FormatError(.bleBadCell, "val_cur_len \(currentLength) is larger than val_max_len \(maxLength)", at: location(.currentLength))
        }
        guard currentLength <= valueBytes else {
            throw FormatError(.bleBadCell, "val_cur_len \(currentLength) is more than the value's \(valueBytes) byte(s); the firmware would read past it",
                              at: location(.currentLength), help: "set val_cur_len to \(valueBytes) or lengthen the value")
        }
        if currentLength < valueBytes {
            let given = cells[.currentLength].map { $0.isEmpty ? "empty, so 0" : $0 } ?? "not given, so 0"
            warnings.append(FormatWarning("row \(index): val_cur_len (\(given)) is less than the value's \(valueBytes) byte(s): the firmware "
                                          + "uses only the first \(currentLength)", at: location(.currentLength)))
        }
        let attribute = Attribute(index: index, uuidLength: uuidLength, uuid: uuid, permissions: permissions,
                                  maxLength: maxLength, currentLength: currentLength, value: value)
        return (attribute, warnings)
    }

    /// Python `int(cell, 10)` restricted to plain digits (surrounding spaces allowed, as Python allows them).
    static func decimal(_ cell: String, at location: SourceLocation) throws(FormatError) -> Int {
        let text = cell.trimmingWhitespace()
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            let hint = text.lowercased().hasPrefix("0x") ? "BLEService.py (Python 3) reads this column as decimal only; write it without 0x" : nil
            throw FormatError(.bleBadCell, "'\(cell)' is not a decimal number", at: location, help: hint)
        }
        let digits = text.drop { $0 == "0" }
        guard digits.count <= 9 else { throw FormatError(.bleBadCell, "'\(cell)' is too large", at: location) }
        return Int(digits.isEmpty ? "0" : String(digits))!
    }

    /// Python `int(cell, 16)`: hex digits with an optional `0x` (surrounding spaces allowed). Returns the digits.
    static func hexDigits(_ cell: String, at location: SourceLocation) throws(FormatError) -> String {
        var text = Substring(cell.trimmingWhitespace())
        if text.hasPrefix("0x") || text.hasPrefix("0X") { text = text.dropFirst(2) }
        guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isASCIIHexDigit }) else {
            throw FormatError(.bleBadCell, "'\(cell)' is not a hex number", at: location)
        }
        return text.uppercased()
    }

    /// BLEService.py's `hex_string`: hex digits taken two at a time, a trailing single digit becoming its own byte.
    static func hexValue(_ cell: String, at location: SourceLocation, warnings: inout [FormatWarning]) throws(FormatError) -> String {
        if cell.hasPrefix("0x") || cell.hasPrefix("0X") {
            throw FormatError(.bleBadCell, "the value must be plain hex digits", at: location,
                              help: "write \(cell.dropFirst(2)) (BLEService.py under Python 3 fails on a 0x prefix)")
        }
        guard cell.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isASCIIHexDigit }) else {
            throw FormatError(.bleBadCell, "'\(cell)' is not a hex byte string", at: location)
        }
        var digits = Array(cell.uppercased())
        if digits.count % 2 == 1 {
            let last = digits.removeLast()
            digits += ["0", last]
            warnings.append(FormatWarning("odd number of hex digits: the last digit becomes the byte 0\(last) (stored as \(String(digits)))",
                                          at: location))
        }
        return String(digits)
    }
}
