/// A CSV record as Python's `csv.reader` (excel dialect) returns it, with the 1-based line it starts on.
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    /// Cells, unstripped. An empty line gives no cells (Python returns `[]` for it).
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }

    public var isBlank: Bool { fields.isEmpty }
    /// A row such as `,,,,,,`: at least one cell and all of them empty.
    public var isAllEmpty: Bool { !fields.isEmpty && fields.allSatisfy(\.isEmpty) }
}

/// Python `csv.reader` over a file opened in text mode: universal newlines, `,` delimiter, `"` quoting with `""`
/// as an escaped quote, quoted cells may span lines, and text after a closing quote is appended (non-strict mode).
public enum CSVReader {
    public static func records(_ text: String) -> [CSVRecord] {
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var quotedField = false  // the current cell began with a quote
        var afterQuote = false  // a quote inside a quoted cell: either "" or the end of the quoting
        var atRecordStart = true
        var scalars = Array(text.unicodeScalars)
        // Universal newlines: \r\n and \r become \n before the csv module sees them.
        scalars = normalizedNewlines(scalars)

        func endField() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            quotedField = false
        }
        func endRecord() {
            records.append(CSVRecord(line: recordLine, fields: fields))
            fields = []
            atRecordStart = true
        }

        for c in scalars {
            if atRecordStart {
                recordLine = line
                atRecordStart = false
                if c == "\n" && !inQuotes {
                    records.append(CSVRecord(line: line, fields: []))
                    atRecordStart = true
                    line += 1
                    continue
                }
            }
            if inQuotes {
                if afterQuote {
                    afterQuote = false
                    if c == "\"" { field.append(c); continue }
                    inQuotes = false
                    // fall through: handle c as an unquoted character
                } else if c == "\"" {
                    afterQuote = true
                    continue
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                    continue
                }
            }
            switch c {
            case ",":
                endField()
            case "\n":
                endField()
                endRecord()
                line += 1
            case "\"" where field.isEmpty && !quotedField:
                inQuotes = true
                quotedField = true
            default:
                field.append(c)
            }
        }
        if inQuotes && afterQuote { inQuotes = false }
        if !atRecordStart {
            endField()
            endRecord()
        }
        return records
    }

    private static func normalizedNewlines(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\r" {
                out.append("\n")
                if i + 1 < scalars.count, scalars[i + 1] == "\n" { i += 1 }
            } else {
                out.append(scalars[i])
            }
            i += 1
        }
        return out
    }
}
