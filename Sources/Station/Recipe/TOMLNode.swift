import TOMLKit

/// A parsed TOML value as plain Swift values (TOMLKit's own types wrap C++ pointers and are not Sendable).
indirect enum TOMLNode: Sendable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case float(Double)
    case array([TOMLNode])
    case table([String: TOMLNode])
    /// Dates and times: no recipe key takes them.
    case other(String)

    /// Parses a document; a syntax error carries its line.
    static func parse(_ text: String, file: String) throws(RecipeError) -> [String: TOMLNode] {
        do throws(TOMLShapeCheck.Problem) { try TOMLShapeCheck.check(text) } catch {
            throw RecipeError(file: file, line: error.line, "not valid TOML: \(error.message)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw RecipeError(file: file, line: error.source.begin.line, "not valid TOML: \(error.description)")
        } catch {
            throw RecipeError(file: file, "not valid TOML: \(error)")
        }
        guard case .table(let root) = TOMLNode(table) else { return [:] }
        return root
    }

    init(_ value: any TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .bool: self = .bool(value.bool ?? false)
        case .double: self = .float(value.double ?? 0)
        case .array:
            self = .array((value.array ?? TOMLArray()).map { TOMLNode($0) })
        case .table:
            var members: [String: TOMLNode] = [:]
            if let t = value.table { for key in t.keys { if let v = t[key] { members[key] = TOMLNode(v) } } }
            self = .table(members)
        default: self = .other(value.debugDescription)
        }
    }

    var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .bool: "a boolean"
        case .float: "a float"
        case .array: "an array"
        case .table: "a table"
        case .other: "a date or time"
        }
    }
}
