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
        var body = bytes[...]
        // 0.3.0 opens the file as 'utf8' and would crash on a byte-order mark; we skip it.
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw FormatError("nvs.encoding", "the CSV is not valid UTF-8 text", help: "save it as UTF-8")
        }
        let lines = PythonCSV.lines(body).filter { $0.text.first != UInt8(ascii: "#") }
        var records = PythonCSV.records(lines)[...]
        guard let header = records.popFirst() else {
            throw FormatError("nvs.header", "the CSV is empty; its first line must be the header key,type,encoding,value",
                              at: SourceLocation(line: 1))
        }
        var index: [String: Int] = [:]
        for (i, name) in header.fields.enumerated() { index[name] = i }
        for column in columns where index[column] == nil {
            throw FormatError("nvs.header",
                              "the first line must be the header key,type,encoding,value (column '\(column)' is missing)",
                              at: SourceLocation(line: header.line),
                              help: "add the line 'key,type,encoding,value' at the top")
        }
        let keyColumn = index["key"]!, typeColumn = index["type"]!, encodingColumn = index["encoding"]!, valueColumn = index["value"]!
        var rows: [Row] = []
        rows.reserveCapacity(records.count)
        for record in records where !record.fields.isEmpty {
            let fields = record.fields
            func field(_ i: Int) -> String? { i < fields.count ? fields[i] : nil }
            let value: NVSGenerator.Value = field(valueColumn).map { .text($0) } ?? .missing
            rows.append(Row(line: record.line, key: field(keyColumn), type: field(typeColumn), encoding: field(encodingColumn), value: value))
        }
        return rows
    }
}
