/// A parsed JSON value that keeps object members in file order (ble_data's JSON is compared key by key).
public indirect enum JSONText: Sendable, Equatable {
    case object([(key: String, value: JSONText)])
    case array([JSONText])
    case string(String)
    /// Numbers are kept as written; ble_data only holds integers.
    case number(String)
    case bool(Bool)
    case null

    public static func == (lhs: JSONText, rhs: JSONText) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(a), .array(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    public subscript(key: String) -> JSONText? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var integer: Int? {
        guard case .number(let text) = self, case .value(let v) = IntegerText.python(text) else { return nil }
        return v
    }

    /// Parses one JSON document (RFC 8259); `code` names the error the caller's format reports.
    public static func parse(_ bytes: ArraySlice<UInt8>, code: FormatError.Code, baseOffset: Int = 0) throws(FormatError) -> JSONText {
        var parser = Parser(bytes: Array(bytes), code: code, base: baseOffset)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.i == parser.bytes.count else { throw parser.fail("unexpected text after the JSON document") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let code: FormatError.Code
        let base: Int
        var i = 0

        init(bytes: [UInt8], code: FormatError.Code, base: Int) {
            self.bytes = bytes
            self.code = code
            self.base = base
        }

        func fail(_ message: String) -> FormatError {
            FormatError(code, "invalid JSON: \(message)", at: SourceLocation(byteOffset: base + i))
        }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(FormatError) {
            guard i < bytes.count, bytes[i] == byte else { throw fail("expected '\(Character(Unicode.Scalar(byte)))'") }
            i += 1
        }

        mutating func literal(_ word: String, _ value: JSONText) throws(FormatError) -> JSONText {
            let w = Array(word.utf8)
            guard bytes.count - i >= w.count, Array(bytes[i..<i + w.count]) == w else { throw fail("unknown literal") }
            i += w.count
            return value
        }

        mutating func value(depth: Int) throws(FormatError) -> JSONText {
            guard depth < 64 else { throw fail("nesting too deep") }
            guard i < bytes.count else { throw fail("the document ends early") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [(key: String, value: JSONText)] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    try expect(UInt8(ascii: ":"))
                    skipSpace()
                    members.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    try expect(UInt8(ascii: "}"))
                    return .object(members)
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSONText] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    if i < bytes.count, bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    try expect(UInt8(ascii: "]"))
                    return .array(items)
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        mutating func number() throws(FormatError) -> JSONText {
            let start = i
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            let digitsStart = i
            while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
            guard i > digitsStart else { throw fail("expected a value") }
            // Fraction and exponent are kept as text; `integer` then reports nil for them.
            while i < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[i])
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) {
                i += 1
            }
            return .number(String(decoding: bytes[start..<i], as: UTF8.self))
        }

        mutating func string() throws(FormatError) -> String {
            try expect(UInt8(ascii: "\""))
            var units: [UInt16] = []
            var utf8: [UInt8] = []
            func flush() {
                if !utf8.isEmpty { units += String(decoding: utf8, as: UTF8.self).utf16; utf8 = [] }
            }
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let b = bytes[i]
                i += 1
                if b == UInt8(ascii: "\"") { break }
                if b < 0x20 { throw fail("control character in a string") }
                if b != UInt8(ascii: "\\") { utf8.append(b); continue }
                flush()
                guard i < bytes.count else { throw fail("unterminated string") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): units.append(0x22)
                case UInt8(ascii: "\\"): units.append(0x5C)
                case UInt8(ascii: "/"): units.append(0x2F)
                case UInt8(ascii: "b"): units.append(0x08)
                case UInt8(ascii: "f"): units.append(0x0C)
                case UInt8(ascii: "n"): units.append(0x0A)
                case UInt8(ascii: "r"): units.append(0x0D)
                case UInt8(ascii: "t"): units.append(0x09)
                case UInt8(ascii: "u"):
                    guard bytes.count - i >= 4, let v = UInt16(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
                        throw fail("bad \\u escape")
                    }
                    units.append(v)
                    i += 4
                default: throw fail("bad escape")
                }
            }
            flush()
            return String(decoding: units, as: UTF16.self)
        }
    }
}
