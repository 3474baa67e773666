/// Python's `csv.reader` (excel dialect: `,` delimiter, `"` quotes, doubled quotes, non-strict) over a text file
/// opened with universal newlines, which is how esp-idf-nvs-partition-gen and mfg_gen.py read their CSVs.
/// Records remember the physical line they start on, so errors can name it. Works on UTF-8 bytes (every
/// character the parser acts on is ASCII), which the caller has validated.
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

    public typealias Line = (number: Int, text: ArraySlice<UInt8>)

    static let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
    static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")

    /// Splits text into physical lines the way Python's text-mode iteration does after newline translation
    /// (`\r\n` and `\r` become `\n`); every line keeps its `\n` except possibly the last.
    public static func lines(_ input: ArraySlice<UInt8>) -> [Line] {
        var bytes = Array(input)
        if bytes.contains(carriageReturn) {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var i = 0
            while i < bytes.count {
                if bytes[i] == carriageReturn {
                    out.append(newline)
                    if i + 1 < bytes.count, bytes[i + 1] == newline { i += 1 }
                } else {
                    out.append(bytes[i])
                }
                i += 1
            }
            bytes = out
        }
        var result: [Line] = []
        var start = 0, number = 1
        for i in 0..<bytes.count where bytes[i] == newline {
            result.append((number, bytes[start...i]))
            number += 1
            start = i + 1
        }
        if start < bytes.count { result.append((number, bytes[start...])) }
        return result
    }

    /// Parses records from already split lines. Empty lines give empty records, as `csv.reader` does.
    public static func records(_ lines: [Line]) -> [Record] {
        enum State { case startRecord, startField, inField, inQuoted, quoteInQuoted, eatNewline }
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var state = State.startRecord
        var recordLine = 0

        func saveField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }

        for (number, text) in lines {
            if state == .startRecord { recordLine = number }
            // Each line ends with an end-of-line marker (nil), like the NUL the C parser feeds itself.
            var index = text.startIndex
            while true {
                let c: UInt8? = index < text.endIndex ? text[index] : nil
                var reprocess = true
                while reprocess {
                    reprocess = false
                    switch state {
                    case .startRecord:
                        if c == nil {
                            // An empty line: csv.reader returns [] for it.
                        } else if c == newline {
                            state = .eatNewline
                        } else {
                            state = .startField
                            reprocess = true
                        }
                    case .startField:
                        if c == nil || c == newline {
                            saveField()
                            state = c == nil ? .startRecord : .eatNewline
                        } else if c == quote {
                            state = .inQuoted
                        } else if c == comma {
                            saveField()
                        } else {
                            field.append(c!)
                            state = .inField
                        }
                    case .inField:
                        if c == nil || c == newline {
                            saveField()
                            state = c == nil ? .startRecord : .eatNewline
                        } else if c == comma {
                            saveField()
                            state = .startField
                        } else {
                            field.append(c!)
                        }
                    case .inQuoted:
                        if c == nil {
                            // The record continues on the next line.
                        } else if c == quote {
                            state = .quoteInQuoted
                        } else {
                            field.append(c!)
                        }
                    case .quoteInQuoted:
                        if c == quote {
                            field.append(quote)
                            state = .inQuoted
                        } else if c == comma {
                            saveField()
                            state = .startField
                        } else if c == nil || c == newline {
                            saveField()
                            state = c == nil ? .startRecord : .eatNewline
                        } else {
                            field.append(c!)
                            state = .inField
                        }
                    case .eatNewline:
                        if c == nil { state = .startRecord }
                    }
                }
                if c == nil { break }
                index += 1
            }
            if state == .startRecord {
                records.append(Record(line: recordLine, fields: fields))
                fields = []
            }
        }
        // End of input inside a quoted field: non-strict mode keeps what was read.
        if !field.isEmpty || state == .inQuoted {
            saveField()
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }

    /// Quotes a field the way `csv.writer` (QUOTE_MINIMAL) does.
    public static func quoted(_ field: String) -> String {
        let needsQuotes = field.utf8.contains { $0 == comma || $0 == quote || $0 == newline || $0 == carriageReturn }
        guard needsQuotes else { return field }
        return "\"" + field.replacing("\"", with: "\"\"") + "\""
    }
}
