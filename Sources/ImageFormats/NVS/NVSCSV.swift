/// The CSV input of esp-idf-nvs-partition-gen: UTF-8, lines whose first character is `#` dropped, then
/// `csv.DictReader` with the mandatory header `key,type,encoding,value` (any column order; blank lines skipped).
public enum NVSCSV {
    public struct Row: Sendable {
        public var line: Int
        public var key: String?
        public var type: String?
        public var encoding: String?
        public var value: NVSGenerator.Value
    }

    static let columns = ["key", "type", "encoding", "value"]

    public static func rows(_ bytes: [UInt8]) throws(FormatError) -> [Row] {
        var rows: [Row] = []
        try forEachRow(bytes) { row throws(FormatError) in rows.append(row) }
        return rows
    }

    /// `rows(_:)` without collecting them: checks the text and the header, then calls `body` with each row as it
    /// is parsed, so a large CSV is never held as lines, records and rows at once.
    public static func forEachRow(_ bytes: [UInt8], _ body: (Row) throws(FormatError) -> Void) throws(FormatError) {
        var text = bytes[...]
        // 0.3.0 opens the file as 'utf8' and would crash on a byte-order mark; we skip it.
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        guard String(validating: text, as: UTF8.self) != nil else { throw TextDecoding.invalidUTF8(bytes, code: "nvs.encoding") }
        var parser = PythonCSV.RecordParser()
        var columns: (key: Int, type: Int, encoding: Int, value: Int)?
        func handle(_ record: PythonCSV.Record) throws(FormatError) {
            guard let c = columns else {
                var index: [String: Int] = [:]
                for (i, name) in record.fields.enumerated() { index[name] = i }
                for column in Self.columns where index[column] == nil {
                    throw FormatError("nvs.header",
                                      "the first line must be the header key,type,encoding,value (column '\(column)' is missing)",
                                      at: SourceLocation(line: record.line),
                                      help: "add the line 'key,type,encoding,value' at the top")
                }
                columns = (index["key"]!, index["type"]!, index["encoding"]!, index["value"]!)
                return
            }
            let fields = record.fields
            guard !fields.isEmpty else { return }
            func field(_ i: Int) -> String? { i < fields.count ? fields[i] : nil }
            let value: NVSGenerator.Value = field(c.value).map { .text($0) } ?? .missing
            try body(Row(line: record.line, key: field(c.key), type: field(c.type), encoding: field(c.encoding), value: value))
        }
        // Lines whose first character is '#' are dropped before the CSV reader sees them.
        try PythonCSV.forEachLine(text) { line throws(FormatError) in
            guard line.text.first != UInt8(ascii: "#") else { return }
            if let record = parser.feed(line) { try handle(record) }
        }
        if let record = parser.finish() { try handle(record) }
        guard columns != nil else {
            throw FormatError("nvs.header", "the CSV is empty; its first line must be the header key,type,encoding,value",
                              at: SourceLocation(line: 1))
        }
    }
}
