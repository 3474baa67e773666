/// Python's `csv.reader` (excel dialect: `,` delimiter, `"` quotes, doubled quotes, non-strict) over a text file
/// opened with universal newlines, which is how esp-idf-nvs-partition-gen and mfg_gen.py read their CSVs.
/// Records remember the physical line they start on, so errors can name it. Works on UTF-8 bytes (every
/// character the parser acts on is ASCII), which the caller has validated. The one CSV reader of the package:
/// NVS and mfg_gen inputs (which drop `#` lines before parsing, hence `lines` + `records(_:)` as two steps),
/// BLEService.py and factory_param_generate.py inputs (`records(text)`).
public enum PythonCSV {
    public struct Record: Sendable, Equatable {
        /// 1-based physical line of the record's first character.
        public var line: Int
        public var fields: [String]
        public init(line: Int, fields: [String]) {
            self.line = line
            self.fields = fields
        }

        /// An empty line: `csv.reader` returns `[]` for it.
        public var isBlank: Bool { fields.isEmpty }
        /// A row such as `,,,,,,`: at least one cell and all of them empty.
        public var isAllEmpty: Bool { !fields.isEmpty && fields.allSatisfy(\.isEmpty) }
    }

    public typealias Line = (number: Int, text: ArraySlice<UInt8>)

    static let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
    static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")

    /// Splits text into physical lines the way Python's text-mode iteration does after newline translation
    /// (`\r\n` and `\r` become `\n`); every line keeps its `\n` except possibly the last.
    public static func lines(_ input: ArraySlice<UInt8>) -> [Line] {
        var result: [Line] = []
        forEachLine(input) { result.append($0) }
        return result
    }

    /// `lines(_:)` without collecting them: calls `body` with each line in order.
    public static func forEachLine<E: Error>(_ input: ArraySlice<UInt8>, _ body: (Line) throws(E) -> Void) throws(E) {
        var bytes = input
        if bytes.contains(carriageReturn) {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var i = bytes.startIndex
            while i < bytes.endIndex {
                if bytes[i] == carriageReturn {
                    out.append(newline)
                    if i + 1 < bytes.endIndex, bytes[i + 1] == newline { i += 1 }
                } else {
                    out.append(bytes[i])
                }
                i += 1
            }
            bytes = out[...]
        }
        var start = bytes.startIndex, number = 1
        while start < bytes.endIndex {
            let end = bytes.withUnsafeBufferPointer { buffer in
                var i = start - bytes.startIndex
                while i < buffer.count, buffer[i] != newline { i += 1 }
                return bytes.startIndex + min(i + 1, buffer.count)
            }
            try body((number, bytes[start..<end]))
            number += 1
            start = end
        }
    }

    /// All records of a decoded text.
    public static func records(_ text: String) -> [Record] {
        records(lines(Array(text.utf8)[...]))
    }

    /// Parses records from already split lines. Empty lines give empty records, as `csv.reader` does.
    public static func records(_ lines: [Line]) -> [Record] {
        var parser = RecordParser()
        var records: [Record] = []
        records.reserveCapacity(lines.count)
        for line in lines {
            if let record = parser.feed(line) { records.append(record) }
        }
        if let record = parser.finish() { records.append(record) }
        return records
    }

    /// `records(_:)` one physical line at a time, for callers that handle records as they complete.
    public struct RecordParser {
        private enum State { case startRecord, startField, inField, inQuoted, quoteInQuoted, eatNewline }
        private var fields: [String] = []
        private var field: [UInt8] = []
        private var state = State.startRecord
        private var recordLine = 0

        public init() {}

        private mutating func saveField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }

        /// Parses one line; returns the record it completes, if any (a line ends at most one record).
        public mutating func feed(_ line: Line) -> Record? {
            let (number, text) = line
            if state == .startRecord {
                recordLine = number
                // Fast path: a line without quotes is one record whose fields are the text between commas (what
                // the state machine below does for it, minus the byte-by-byte copying).
                if let lineFields = text.withUnsafeBufferPointer(PythonCSV.unquotedFields) {
                    return Record(line: number, fields: lineFields)
                }
            }
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
            guard state == .startRecord else { return nil }
            defer { fields = [] }
            return Record(line: recordLine, fields: fields)
        }

        /// The record left open at the end of the input: non-strict mode keeps what was read of a quoted field.
        public mutating func finish() -> Record? {
            guard !field.isEmpty || state == .inQuoted else { return nil }
            saveField()
            return Record(line: recordLine, fields: fields)
        }
    }

    /// The fields of a line without quotes (nil if it has one): the text between commas, without the line end;
    /// an empty line has none. This is what the state machine of `records` gives for such a line.
    fileprivate static func unquotedFields(_ line: UnsafeBufferPointer<UInt8>) -> [String]? {
        var commas = 0
        for b in line {
            if b == quote { return nil }
            if b == comma { commas += 1 }
        }
        var end = line.count
        if end > 0, line[end - 1] == newline { end -= 1 }
        if end == 0 { return [] }
        var fields: [String] = []
        fields.reserveCapacity(commas + 1)
        var start = 0
        for i in 0..<end where line[i] == comma {
            fields.append(String(decoding: UnsafeBufferPointer(rebasing: line[start..<i]), as: UTF8.self))
            start = i + 1
        }
        fields.append(String(decoding: UnsafeBufferPointer(rebasing: line[start..<end]), as: UTF8.self))
        return fields
    }

    /// Quotes a field the way `csv.writer` (QUOTE_MINIMAL) does.
    public static func quoted(_ field: String) -> String {
        let needsQuotes = field.utf8.contains { $0 == comma || $0 == quote || $0 == newline || $0 == carriageReturn }
        guard needsQuotes else { return field }
        return "\"" + field.doublingQuotes() + "\""
    }
}

extension String {
    /// Every `"` written twice, by code point: `replacing("\"", …)` works on Characters and misses a quote that a
    /// combining mark follows (one Character), which then ends the quoted field early when read back.
    func doublingQuotes() -> String {
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            out.append(scalar)
            if scalar == "\"" { out.append(scalar) }
        }
        return String(out)
    }
}
