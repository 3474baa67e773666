/// A check of a TOML document's shape before TOMLKit reads it: strings closed, every array and inline table closed
/// by its own bracket, a value wherever one is due (after `=`, after `[` and `,` in an array), table headers
/// starting with a key. toml++ (inside TOMLKit) asserts these while parsing, so a recipe such as
/// `flash = [["0x0",}` or a header `[#]` would abort the process instead of giving an error (found by the
/// station-recipe fuzz target; cases in Fixtures/fuzz/station-recipe). Stricter than TOML in one way that no recipe
/// key needs: a date-time with a space inside an array or inline table is refused.
struct TOMLShapeCheck {
    struct Problem: Error {
        var line: Int
        var message: String
    }

    private let s: [Unicode.Scalar]
    private var i = 0
    private var line = 1

    static func check(_ text: String) throws(Problem) {
        var checker = TOMLShapeCheck(s: Array(text.unicodeScalars))
        try checker.document()
    }

    private init(s: [Unicode.Scalar]) { self.s = s }

    private var current: Unicode.Scalar? { i < s.count ? s[i] : nil }

    private func fail(_ message: String) -> Problem { Problem(line: line, message: message) }

    private mutating func advance() {
        if s[i] == "\n" { line += 1 }
        i += 1
    }

    private mutating func skipBlanks() { while let c = current, c == " " || c == "\t" { advance() } }

    /// Blanks, line ends and comments (inside arrays).
    private mutating func skipSpace() {
        while let c = current {
            if c == " " || c == "\t" || c == "\r" || c == "\n" { advance() } else if c == "#" { skipLine() } else { return }
        }
    }

    private mutating func skipLine() { while let c = current, c != "\n" { advance() } }

    private mutating func document() throws(Problem) {
        if current == "\u{FEFF}" { i += 1 }
        while current != nil {
            skipSpace()
            guard let c = current else { return }
            if c == "[" {
                try header()
            } else {
                try keyValue(endsAtLine: true)
            }
        }
    }

    private mutating func header() throws(Problem) {
        advance()
        if current == "[" { advance() }
        skipBlanks()
        guard let c = current, Self.startsKey(c) else { throw fail("a table name starts with a letter, digit, '_', '-' or a quote") }
        skipLine()  // the rest of the header TOMLKit checks
    }

    static func startsKey(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" || c == "\"" || c == "'")
    }

    /// `key = value`; at the top level the rest of the line is left to TOMLKit.
    private mutating func keyValue(endsAtLine: Bool) throws(Problem) {
        guard let first = current, Self.startsKey(first) else { throw fail("a key starts with a letter, digit, '_', '-' or a quote") }
        while let c = current, c != "=" {
            if c == "\n" { throw fail("a key needs '= value' on its line") }
            if c == "\"" || c == "'" { try string() } else { advance() }
        }
        guard current == "=" else { throw fail("a key needs '= value'") }
        advance()
        skipBlanks()
        try value()
        if endsAtLine { skipLine() }
    }

    private mutating func value() throws(Problem) {
        guard let c = current else { throw fail("a value is missing at the end of the file") }
        switch c {
        case "\"", "'": try string()
        case "[": try array()
        case "{": try inlineTable()
        default:
            guard c == "+" || c == "-" || c == "_" || c == "." || c == ":" || ("0"..."9").contains(c) || (c.isASCII && c.properties.isAlphabetic) else {
                throw fail("a value is missing (found '\(c.escaped(asASCII: true))')")
            }
            while let c = current, c.isASCII, c.properties.isAlphabetic || ("0"..."9").contains(c) || "+-_.:".unicodeScalars.contains(c) { advance() }
        }
    }

    private mutating func array() throws(Problem) {
        let opened = line
        advance()
        skipSpace()
        while true {
            guard let c = current else { throw Problem(line: opened, message: "an array is not closed") }
            if c == "]" { advance(); return }
            try value()
            skipSpace()
            guard let next = current else { throw Problem(line: opened, message: "an array is not closed") }
            if next == "," { advance(); skipSpace(); continue }
            guard next == "]" else {
                throw Problem(line: opened, message: "the array goes on with ',' or ends with ']' (found '\(next.escaped(asASCII: true))' on line \(line))")
            }
        }
    }

    private mutating func inlineTable() throws(Problem) {
        advance()
        skipBlanks()
        if current == "}" { advance(); return }
        while true {
            try keyValue(endsAtLine: false)
            skipBlanks()
            guard let next = current else { throw fail("an inline table is not closed") }
            if next == "}" { advance(); return }
            guard next == "," else { throw fail("an inline table goes on with ',' or ends with '}' (found '\(next.escaped(asASCII: true))')") }
            advance()
            skipBlanks()
        }
    }

    private mutating func string() throws(Problem) {
        let quote = current!
        let opened = line
        let multiline = i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote
        advance()
        if multiline { advance(); advance() }
        while let c = current {
            if c == "\\", quote == "\"" {
                advance()
                if current != nil { advance() }
                continue
            }
            if c == "\n", !multiline { throw Problem(line: opened, message: "a string is not closed on its line") }
            if c == quote {
                if !multiline { advance(); return }
                if i + 2 < s.count, s[i + 1] == quote, s[i + 2] == quote {
                    advance(); advance(); advance()
                    while current == quote { advance() }  // up to two more quotes belong to the string
                    return
                }
            }
            advance()
        }
        throw Problem(line: opened, message: "a string is not closed")
    }
}
