/// Table → CSV text exactly as gen_esp32part's `to_csv` writes it: two header comments, then
/// `name,type,subtype,0xOFFSET,SIZE,flags` with keywords where one matches, sizes as `NM`/`NK`/`0x..`.
///
/// A label read from a binary can hold anything but NUL. gen_esp32part writes it as it is, so a label with a comma
/// or a line break becomes other fields or another partition when the CSV is read again. Here a label that would
/// not read back as itself is written as a quoted field (`"a,b"`, `""` for a quote; `PartitionTable.parseCSV`
/// reads it), and one with a line break or another control character, which no line of the CSV can carry, is
/// refused. Every other label is written exactly as gen_esp32part writes it.
extension PartitionTable {
    public func csv(keywords: PartitionKeywords = .standard) throws(FormatError) -> String {
        var out = "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n"
        for (index, e) in entries.enumerated() {
            let type = Int(e.type)
            out += try Self.nameField(e.name, index: index) + ","
            out += (keywords.typeName(type) ?? String(type)) + ","
            out += (keywords.subtypeName(Int(e.subtype), type: type) ?? String(e.subtype)) + ","
            out += Int(e.offset).pythonHex + ","
            out += Self.sizeText(Int(e.size)) + ","
            out += e.flags.names.joined(separator: ":") + "\n"
        }
        return out
    }

    /// The Name field for `name`: as it is when the CSV reader gives it back unchanged, else quoted.
    static func nameField(_ name: String, index: Int) throws(FormatError) -> String {
        if let bad = name.unicodeScalars.first(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
            throw FormatError("partition_table.label_unwritable",
                              "partition \(index)'s label holds the control character U+\(String(bad.value, radix: 16, uppercase: true)), which a CSV line cannot carry",
                              at: SourceLocation(field: "Name", byteOffset: index * PartitionEntry.recordSize + 12),
                              help: "read the table with --json, or rename the partition")
        }
        return needsQuotes(name) ? "\"" + name.doublingQuotes() + "\"" : name
    }

    /// Whether the plain field would read back as something else: split at a comma, trimmed, a comment, a
    /// variable expanded, or taken for a quoted field. Code points, as the reader (and Python) sees them: `"` or `,`
    /// followed by a combining mark is one Swift Character.
    static func needsQuotes(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        return scalars.contains(",") || scalars.contains("$") || scalars.first == "#" || scalars.first == "\""
            || name.trimmingWhitespace() != name
    }

    static func sizeText(_ size: Int) -> String {
        if size % 0x100000 == 0 { return "\(size / 0x100000)M" }
        if size % 0x400 == 0 { return "\(size / 0x400)K" }
        return size.pythonHex
    }
}
