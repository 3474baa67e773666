/// A JSON document with keys kept in the order they were added, so output is stable and readable: the CLI's
/// `--json` output and the station dashboard's JSON endpoints.
package enum JSONValue: Sendable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int)
    /// A fraction or a measurement, written with at most 4 decimals (`0.25`, `12.5`, `3`).
    case double(Double)
    case bool(Bool)
    case null

    package static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    /// Compact one-line form (for NDJSON) or indented form.
    package func rendered(pretty: Bool = true) -> String {
        var out = ""
        write(to: &out, indent: pretty ? 0 : nil)
        return out
    }

    private func write(to out: inout String, indent: Int?) {
        let newline = indent == nil ? "" : "\n"
        let pad = { (level: Int) in String(repeating: "  ", count: level) }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += Self.decimal(d)
        case .string(let s): out += Self.quoted(s)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[" + newline
            for (i, item) in items.enumerated() {
                if let indent { out += pad(indent + 1) }
                item.write(to: &out, indent: indent.map { $0 + 1 })
                out += (i == items.count - 1 ? "" : ",") + newline
            }
            if let indent { out += pad(indent) }
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (i, (key, value)) in members.enumerated() {
                if let indent { out += pad(indent + 1) }
                out += Self.quoted(key) + (indent == nil ? ":" : ": ")
                value.write(to: &out, indent: indent.map { $0 + 1 })
                out += (i == members.count - 1 ? "" : ",") + newline
            }
            if let indent { out += pad(indent) }
            out += "}"
        }
    }

    /// `d` with at most 4 decimals and no trailing zeros; JSON has no NaN or infinity, so those are `null`.
    static func decimal(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        let scaled = (d * 10_000).rounded()
        guard abs(scaled) < 9e15 else { return String(Int64(d.rounded())) }
        let units = Int64(scaled)
        let sign = units < 0 ? "-" : ""
        let whole = abs(units) / 10_000
        var fraction = String(abs(units) % 10_000)
        fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }

    package static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let h = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
