/// Integer literals as the original Python tools read them.
public enum IntegerText {
    /// Result of reading an integer literal.
    public enum Parsed: Equatable, Sendable {
        case value(Int)
        /// Syntactically an integer, but beyond what 64 bits hold.
        case outOfRange
        case invalid
    }

    /// Python's `int(text, 0)`: optional sign, `0x`/`0o`/`0b` prefixes (any case), single `_` between digits,
    /// and no leading zeros on a non-zero decimal (`010` is invalid, `00` is zero). Surrounding whitespace is
    /// ignored, as Python does.
    public static func python(_ text: some StringProtocol) -> Parsed {
        var chars = Array(text.unicodeScalars.map { $0 })
        while let first = chars.first, first.properties.isWhitespace { chars.removeFirst() }
        while let last = chars.last, last.properties.isWhitespace { chars.removeLast() }
        var negative = false
        if let first = chars.first, first == "+" || first == "-" {
            negative = first == "-"
            chars.removeFirst()
        }
        var radix = 10
        if chars.count >= 2, chars[0] == "0" {
            switch chars[1] {
            case "x", "X": radix = 16
            case "o", "O": radix = 8
            case "b", "B": radix = 2
            default: break
            }
            if radix != 10 {
                chars.removeFirst(2)
                // Python allows one underscore right after the prefix: 0x_ff.
                if chars.first == "_" { chars.removeFirst() }
            }
        }
        guard !chars.isEmpty, chars.first != "_", chars.last != "_" else { return .invalid }
        var digits: [Int] = []
        var previousUnderscore = false
        for c in chars {
            if c == "_" {
                if previousUnderscore { return .invalid }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            guard let d = digitValue(c), d < radix else { return .invalid }
            digits.append(d)
        }
        if radix == 10, digits.count > 1, digits[0] == 0, digits.contains(where: { $0 != 0 }) {
            return .invalid
        }
        var value = 0
        for d in digits {
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return .outOfRange }
            value = s
        }
        return .value(negative ? -value : value)
    }

    private static func digitValue(_ c: Unicode.Scalar) -> Int? {
        switch c.value {
        case 0x30...0x39: return Int(c.value - 0x30)
        case 0x61...0x7A: return Int(c.value - 0x61 + 10)
        case 0x41...0x5A: return Int(c.value - 0x41 + 10)
        default: return nil
        }
    }

    /// A size or address as the command line takes it: `0x8000`, `32768`, `12K`, `4M`, `4MB`, `1KB`.
    public static func sizeOrAddress(_ text: String) -> Int? {
        var body = Substring(text.trimmingWhitespace())
        var multiplier = 1
        let lower = body.lowercased()
        if lower.hasSuffix("kb") || lower.hasSuffix("mb") {
            multiplier = lower.hasSuffix("kb") ? 1024 : 1024 * 1024
            body = body.dropLast(2)
        } else if lower.hasSuffix("k") || lower.hasSuffix("m") {
            // A bare "0xBM"-style hex literal never ends in k/m, so the suffix is unambiguous.
            multiplier = lower.hasSuffix("k") ? 1024 : 1024 * 1024
            body = body.dropLast()
        }
        guard case .value(let v) = python(body), v >= 0 else { return nil }
        let (r, o) = v.multipliedReportingOverflow(by: multiplier)
        return o ? nil : r
    }
}

extension String {
    /// Strips ASCII spaces, tabs and line breaks at both ends (Python's `str.strip()` for the inputs we read).
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}

extension Int {
    /// `0x1f`-style lower-case hex, as Python's `'0x%x'` prints it (negative values as `-0x..`).
    public var pythonHex: String { self < 0 ? "-0x" + String(-self, radix: 16) : "0x" + String(self, radix: 16) }
}
