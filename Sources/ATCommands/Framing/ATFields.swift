/// The parameter syntax of the AT command set: comma-separated values, strings in double quotes, and inside
/// them `\\`, `\,` and `\"` escapes (esp-at "AT Command Types").
public enum ATFields {
    /// Splits `"ble_data",64,1,0x21000,0x3000` into `ble_data`, `64`, `1`, `0x21000`, `0x3000`: quotes removed,
    /// escapes resolved, blanks around unquoted values trimmed.
    public static func split(_ text: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && inQuotes {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == "," && !inQuotes {
                fields.append(current.trimmingBlanks)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current.trimmingBlanks)
        return fields
    }

    /// A string parameter: quoted, with `\`, `"` and `,` escaped.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            if character == "\\" || character == "\"" || character == "," { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }

    /// An integer the firmware printed: decimal, or hex with `0x`.
    public static func integer(_ text: String) -> Int? {
        let t = text.trimmingBlanks
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return Int(t.dropFirst(2), radix: 16) }
        return Int(t)
    }
}

extension String {
    var trimmingBlanks: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
