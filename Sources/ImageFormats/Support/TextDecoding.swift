/// Decoding of text inputs the way the original Python tools open them.
public enum TextDecoding {
    /// Decodes bytes as text, honouring a UTF-8, UTF-16 or UTF-32 byte-order mark and defaulting to UTF-8
    /// (gen_esp32part's `get_encoding`). Invalid sequences are an error, not replacement characters.
    public static func decode(_ bytes: [UInt8]) throws(FormatError) -> String {
        func fail(_ encoding: String) -> FormatError {
            FormatError("text.encoding", "the file is not valid \(encoding) text", help: "save it as UTF-8")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            guard let s = String(validating: bytes.dropFirst(3), as: UTF8.self) else { throw invalidUTF8(bytes) }
            return s
        }
        // UTF-32 before UTF-16: the UTF-32 LE mark begins with the UTF-16 LE one.
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) || bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            guard (bytes.count - 4) % 4 == 0 else { throw fail("UTF-32") }
            var scalars = String.UnicodeScalarView()
            var i = 4
            while i < bytes.count {
                let b = bytes[i..<i + 4].map(UInt32.init)
                let v = little ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24
                guard let scalar = Unicode.Scalar(v) else { throw fail("UTF-32") }
                scalars.append(scalar)
                i += 4
            }
            return String(scalars)
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            guard bytes.count % 2 == 0 else { throw fail("UTF-16") }
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2 - 1)
            var i = 2
            while i < bytes.count {
                units.append(little ? UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 : UInt16(bytes[i + 1]) | UInt16(bytes[i]) << 8)
                i += 2
            }
            guard let s = String(validating: units, as: UTF16.self) else { throw fail("UTF-16") }
            return s
        }
        guard let s = String(validating: bytes, as: UTF8.self) else { throw invalidUTF8(bytes) }
        return s
    }

    /// The error for text that is not UTF-8, naming the line and byte offset of the first bad sequence.
    public static func invalidUTF8(_ bytes: some Collection<UInt8>, code: FormatError.Code = "text.encoding") -> FormatError {
        let all = Array(bytes)
        var offset = 0, line = 1
        while offset < all.count {
            let length = sequenceLength(all, at: offset)
            guard length > 0 else { break }
            if all[offset] == UInt8(ascii: "\n") { line += 1 }
            offset += length
        }
        let shown = all[offset..<min(all.count, offset + 4)].map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
        return FormatError(code, "the file is not valid UTF-8 text (bytes \(shown))", at: SourceLocation(line: line, byteOffset: offset),
                           help: "save it as UTF-8")
    }

    /// Bytes of the well-formed UTF-8 sequence at `offset`, 0 when it is not one.
    static func sequenceLength(_ bytes: [UInt8], at offset: Int) -> Int {
        let first = bytes[offset]
        let (length, minimum): (Int, UInt32) = switch first {
        case 0x00...0x7F: (1, 0)
        case 0xC2...0xDF: (2, 0x80)
        case 0xE0...0xEF: (3, 0x800)
        case 0xF0...0xF4: (4, 0x10000)
        default: (0, 0)
        }
        guard length > 0, offset + length <= bytes.count else { return 0 }
        var value = UInt32(first) & (length == 1 ? 0x7F : 0xFF >> (length + 1))
        for i in 1..<length {
            let next = bytes[offset + i]
            guard next & 0xC0 == 0x80 else { return 0 }
            value = value << 6 | UInt32(next & 0x3F)
        }
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return 0 }
        return length
    }

    /// Python's `str.splitlines()`: splits on every Unicode line boundary, `\r\n` counting as one.
    public static func splitLines(_ text: String) -> [Substring] {
        var lines: [Substring] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var i = start
        while i < scalars.endIndex {
            let c = scalars[i]
            switch c.value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
                lines.append(Substring(scalars[start..<i]))
                var next = scalars.index(after: i)
                if c == "\r", next < scalars.endIndex, scalars[next] == "\n" { next = scalars.index(after: next) }
                start = next
                i = next
            default:
                i = scalars.index(after: i)
            }
        }
        if start < scalars.endIndex { lines.append(Substring(scalars[start...])) }
        return lines
    }
}
