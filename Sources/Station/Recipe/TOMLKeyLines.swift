/// Where each key of a TOML document is written, for error messages: `unit.nvs.offset` → its line, `port[1]` → the
/// line of the second `[[port]]` header, `flash[0]` → the line of the first element of `flash`. TOMLKit reports
/// lines only for syntax errors, so this light scanner finds them (strings, arrays and inline tables spanning
/// lines are skipped over correctly).
struct TOMLKeyLines {
    private(set) var lines: [String: Int] = [:]

    init(_ text: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        var depth = 0  // brackets and braces open in a value
        var currentKey = ""
        var elementIndex: [Int: Int] = [:]
        var inString: (quote: Character, multiline: Bool)?
        // CR LF is one Character in Swift: split on both, so that line numbers hold in a CRLF file too.
        let rows = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (number, row) in rows.enumerated() {
            let lineNumber = number + 1
            let chars = Array(row)
            var i = 0
            if inString == nil, depth == 0 {
                let trimmed = row.drop { $0 == " " || $0 == "\t" }
                if trimmed.hasPrefix("[[") {
                    let name = Self.headerName(trimmed.dropFirst(2))
                    let index = arrayCounts[name, default: 0]
                    arrayCounts[name] = index + 1
                    table = "\(name)[\(index)]"
                    lines[table] = lineNumber
                    lines[name] = lines[name] ?? lineNumber
                    continue
                } else if trimmed.hasPrefix("[") {
                    let name = Self.headerName(trimmed.dropFirst())
                    // `[port.x]` after `[[port]]` belongs to the last port.
                    table = Self.resolve(name, arrayCounts: arrayCounts)
                    lines[table] = lineNumber
                    continue
                } else if let eq = Self.keyEnd(chars) {
                    let key = Self.normalizedKey(String(chars[..<eq]))
                    if !key.isEmpty {
                        currentKey = table.isEmpty ? key : table + "." + key
                        lines[currentKey] = lineNumber
                        elementIndex = [:]
                        i = eq + 1
                    }
                }
            }
            while i < chars.count {
                let c = chars[i]
                if let s = inString {
                    if c == "\\", s.quote == "\"" { i += 2; continue }
                    if c == s.quote {
                        if s.multiline {
                            if i + 2 < chars.count, chars[i + 1] == s.quote, chars[i + 2] == s.quote { inString = nil; i += 3; continue }
                        } else {
                            inString = nil
                        }
                    }
                    i += 1
                    continue
                }
                switch c {
                case "#": i = chars.count; continue
                case "\"", "'":
                    let multiline = i + 2 < chars.count && chars[i + 1] == c && chars[i + 2] == c
                    inString = (c, multiline)
                    i += multiline ? 3 : 1
                    continue
                case "[", "{":
                    depth += 1
                    if depth == 2 {
                        let n = elementIndex[1, default: 0]
                        elementIndex[1] = n + 1
                        lines["\(currentKey)[\(n)]"] = lineNumber
                    }
                case "]", "}":
                    depth = max(0, depth - 1)
                default: break
                }
                i += 1
            }
            if let s = inString, !s.multiline { inString = nil }  // an unterminated string: TOMLKit reports it
        }
    }

    /// The line of `key`, or of the nearest enclosing key or table that is written down.
    func line(_ key: String) -> Int? {
        var k = key
        while !k.isEmpty {
            if let line = lines[k] { return line }
            if let dot = k.lastIndex(where: { $0 == "." || $0 == "[" }) { k = String(k[..<dot]) } else { break }
        }
        return nil
    }

    private static func headerName(_ rest: Substring) -> String {
        let end = rest.firstIndex(of: "]") ?? rest.endIndex
        return normalizedKey(String(rest[..<end]))
    }

    private static func resolve(_ name: String, arrayCounts: [String: Int]) -> String {
        let parts = name.split(separator: ".").map(String.init)
        var resolved: [String] = []
        for part in parts {
            let prefix = (resolved + [part]).joined(separator: ".")
            let plain = (resolved.map { $0.split(separator: "[").first.map(String.init) ?? $0 } + [part]).joined(separator: ".")
            if let count = arrayCounts[plain] ?? arrayCounts[prefix], count > 0 {
                resolved.append("\(part)[\(count - 1)]")
            } else {
                resolved.append(part)
            }
        }
        return resolved.joined(separator: ".")
    }

    /// Index of the `=` ending a key on this line, outside quotes; nil when the line has none.
    private static func keyEnd(_ chars: [Character]) -> Int? {
        var quote: Character?
        for (i, c) in chars.enumerated() {
            if let q = quote { if c == q { quote = nil }; continue }
            if c == "\"" || c == "'" { quote = c; continue }
            if c == "#" { return nil }
            if c == "=" { return i }
        }
        return nil
    }

    /// `a . "b"` → `a.b`.
    private static func normalizedKey(_ text: String) -> String {
        text.split(separator: ".").map { part in
            var p = part.trimmingCharacters(in: " \t")
            if p.count >= 2, let f = p.first, f == "\"" || f == "'", p.last == f { p = String(p.dropFirst().dropLast()) }
            return p
        }.joined(separator: ".")
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        // Not `dropLast()`: without an argument that is Collection's, which counts the whole text each time.
        while let l = s.last, set.contains(l) { s = s[..<s.index(before: s.endIndex)] }
        return String(s)
    }
}
