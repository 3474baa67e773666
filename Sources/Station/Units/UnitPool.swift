import ImageFormats

/// One row of the values CSV: a unit to hand out, identified by its id column (the serial number).
public struct Unit: Sendable, Hashable {
    public var id: String
    /// Line of the row in the values CSV.
    public var line: Int
    /// Every column and its value, in the file's column order.
    public var fields: [Field]

    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(id: String, line: Int, fields: [Field]) {
        self.id = id
        self.line = line
        self.fields = fields
    }

    public func value(_ column: String) -> String? { fields.first { $0.name == column }?.value }
}

/// The units of a values CSV, checked: a header, the id column, one cell per column, unique non-empty ids.
public struct UnitPool: Sendable {
    public var name: String
    public var columns: [String]
    public var units: [Unit]

    /// Columns `factory_param.FIELD` override FIELD of the module's factory_param.
    public static let factoryParamPrefix = "factory_param."

    public init(name: String, columns: [String], units: [Unit]) {
        self.name = name
        self.columns = columns
        self.units = units
    }

    public static func parse(_ text: String, idColumn: String, name: String, file: String) throws(RecipeError) -> UnitPool {
        let records = PythonCSV.records(text).filter { !$0.isBlank && !$0.isAllEmpty }
        guard let header = records.first else { throw RecipeError(file: file, line: 1, "the values file is empty; its first row names the columns") }
        for (i, column) in header.fields.enumerated() {
            if column.isEmpty { throw RecipeError(file: file, line: header.line, "column \(i + 1) has no name") }
            if header.fields[..<i].contains(column) { throw RecipeError(file: file, line: header.line, key: column, "column named twice") }
        }
        guard let idIndex = header.fields.firstIndex(of: idColumn) else {
            throw RecipeError(file: file, line: header.line, "no column '\(idColumn)' (the recipe's unit id)",
                              help: "columns: " + header.fields.joined(separator: ", "))
        }
        var units: [Unit] = []
        var seen: [String: Int] = [:]
        for record in records.dropFirst() {
            guard record.fields.count == header.fields.count else {
                throw RecipeError(file: file, line: record.line, "row has \(record.fields.count) cells but the header has \(header.fields.count)")
            }
            let id = record.fields[idIndex]
            guard !id.isEmpty else { throw RecipeError(file: file, line: record.line, key: idColumn, "empty unit id") }
            if let first = seen[id] { throw RecipeError(file: file, line: record.line, key: idColumn, "unit '\(id)' is also on line \(first)") }
            seen[id] = record.line
            units.append(Unit(id: id, line: record.line, fields: zip(header.fields, record.fields).map { Unit.Field(name: $0, value: $1) }))
        }
        guard !units.isEmpty else { throw RecipeError(file: file, line: header.line, "the values file has no units (only a header)") }
        return UnitPool(name: name, columns: header.fields, units: units)
    }
}

/// `{column}` in a template text becomes the unit's value; `{{` and `}}` are literal braces.
enum UnitTemplate {
    /// The columns a template names.
    static func columns(in text: String) -> [String] {
        var names: [String] = []
        _ = substitute(text) { names.append($0); return "" }
        return names
    }

    static func apply(_ text: String, unit: Unit) -> String {
        substitute(text) { unit.value($0) ?? "{\($0)}" }
    }

    private static func substitute(_ text: String, _ value: (String) -> String) -> String {
        guard text.contains("{") || text.contains("}") else { return text }
        var out = ""
        var chars = text[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == "{", chars.first == "{" { out.append("{"); chars = chars.dropFirst(); continue }
            if c == "}", chars.first == "}" { out.append("}"); chars = chars.dropFirst(); continue }
            if c == "{", let end = chars.firstIndex(of: "}") {
                out += value(String(chars[..<end]))
                chars = chars[chars.index(after: end)...]
                continue
            }
            out.append(c)
        }
        return out
    }
}
