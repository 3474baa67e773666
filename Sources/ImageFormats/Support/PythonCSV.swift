/// Python's `csv.reader` (excel dialect: `,` delimiter, `"` quotes, doubled quotes, non-strict) over a text file
/// opened with universal newlines, which is how esp-idf-nvs-partition-gen and mfg_gen.py read their CSVs.
/// Records remember the physical line they start on, so errors can name it.
public enum PythonCSV {
    public struct Record: Sendable, Equatable {
        /// 1-based physical line of the record's first character.
        public var line: Int
        public var fields: [String]
        public init(line: Int, fields: [String]) {
            self.line = line
            self.fields = fields
        }
    }

    /// Splits text into physical lines the way Python's text-mode iteration does after newline translation
    /// (`\r\n` and `\r` become `\n`); every line keeps its `\n` except possibly the last.
    public static func lines(_ text: String) -> [(number: Int, text: Substring)] {
        var normalized = text
        if normalized.utf8.contains(13) {
            normalized = normalized.replacingCRLF()
        }
        var result: [(Int, Substring)] = []
        let scalars = normalized.unicodeScalars
        var start = scalars.startIndex
        var number = 1
        var i = scalars.startIndex
        while i < scalars.endIndex {
            let next = scalars.index(after: i)
            if scalars[i] == "\n" {
                result.append((number, Substring(scalars[start..<next])))
                number += 1
                start = next
            }
            i = next
        }
        if start < scalars.endIndex { result.append((number, Substring(scalars[start...]))) }
        return result
    }

    /// Parses records from already split lines. Empty lines give empty records, as `csv.reader` does.
    public static func records(_ lines: [(number: Int, text: Substring)]) -> [Record] {
        enum State { case startRecord, startField, inField, inQuoted, quoteInQuoted, eatNewline }
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var fieldLength = 0
        var state = State.startRecord
        var recordLine = 0

        func saveField() {
            fields.append(field)
            field = ""
            fieldLength = 0
        }

        for (number, text) in lines {
            if state == .startRecord { recordLine = number }
            // Each line is followed by an end-of-line marker (nil), like the NUL the C parser feeds itself.
            var characters = text.unicodeScalars.map { Optional($0) }
            characters.append(nil)
            for c in characters {
                var reprocess = true
                while reprocess {
                    reprocess = false
                    switch state {
                    case .startRecord:
                        if c == nil {
                            // An empty line: csv.reader returns [] for it.
                        } else if c == "\n" {
                            state = .eatNewline
                        } else {
                            state = .startField
                            reprocess = true
                        }
                    case .startField:
                        if c == nil || c == "\n" {
                            saveField()
                            state = c == nil ? .startRecord : .eatNewline
                        } else if c == "\"" {
                            state = .inQuoted
                        } else if c == "," {
                            saveField()
                        } else {
                            field.unicodeScalars.append(c!)
                            fieldLength += 1
                            state = .inField
                        }
                    case .inField:
                        if c == nil || c == "\n" {
                            saveField()
                            state = c == nil ? .startRecord : .eatNewline
                        } else if c == "," {
                            saveField()
                            state = .startField
                        } else {
                            field.unicodeScalars.append(c!)
                            fieldLength += 1
                        }
                    case .inQuoted:
                        if c == nil {
                            // The record continues on the next line.
                        } else if c == "\"" {
                            state = .quoteInQuoted
                        } else {
                            field.unicodeScalars.append(c!)
                            fieldLength += 1
                        }
                    case .quoteInQuoted:
                        if c == "\"" {
                            field.unicodeScalars.append("\"")
                            fieldLength += 1
                            state = .inQuoted
                        } else if c == "," {
                            saveField()
                            state = .startField
                        } else if c == nil || c == "\n" {
                            saveField()
                            state = c == nil ? .startRecord : .eatNewline
                        } else {
                            field.unicodeScalars.append(c!)
                            fieldLength += 1
                            state = .inField
                        }
                    case .eatNewline:
                        if c == nil { state = .startRecord }
                    }
                }
            }
            if state == .startRecord {
                records.append(Record(line: recordLine, fields: fields))
                fields = []
            }
        }
        // End of input inside a quoted field: non-strict mode keeps what was read.
        if fieldLength != 0 || state == .inQuoted {
            saveField()
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }

    /// Quotes a field the way `csv.writer` (QUOTE_MINIMAL) does.
    public static func quoted(_ field: String) -> String {
        let needsQuotes = field.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
        guard needsQuotes else { return field }
        return "\"" + field.replacing("\"", with: "\"\"") + "\""
    }
}

extension String {
    /// `\r\n` and lone `\r` become `\n` (Python universal newlines).
    func replacingCRLF() -> String {
        var out = String.UnicodeScalarView()
        var previousCR = false
        for s in unicodeScalars {
            if s == "\r" {
                out.append("\n")
                previousCR = true
                continue
            }
            if s == "\n", previousCR {
                previousCR = false
                continue
            }
            previousCR = false
            out.append(s)
        }
        return String(out)
    }

}
