/// `factory_param_data.csv`: one row per module. With a `platform` column it is the esp-at v2.x form (rows chosen
/// by platform and module_name); without one it is the v1.2 form (module name in column 0).
public struct FactoryParamData: Sendable {
    public struct Row: Sendable {
        public var line: Int
        public var cells: [String]
        public var module: String
        public var platform: String?
    }

    public var header: [String]
    public var rows: [Row]
    /// Column of `platform` (v2.x form), nil in the v1.2 form.
    public var platformColumn: Int?
    public var moduleColumn: Int

    public var isV1Form: Bool { platformColumn == nil }

    public static func parse(_ text: String) throws(FormatError) -> FactoryParamData {
        let records = PythonCSV.records(text).filter { !$0.isBlank }
        guard let headerRecord = records.first else {
            throw FormatError(.factoryBadData, "the data CSV is empty", at: SourceLocation(line: 1))
        }
        let header = headerRecord.fields
        for (i, name) in header.enumerated() where header[..<i].contains(name) {
            throw FormatError(.factoryBadData, "column '\(name)' appears twice", at: SourceLocation(line: headerRecord.line, field: name))
        }
        let platformColumn = header.firstIndex(of: "platform")
        let moduleColumn: Int
        if platformColumn != nil {
            guard let m = header.firstIndex(of: "module_name") else {
                throw FormatError(.factoryBadData, "the header has a 'platform' column but no 'module_name' column",
                                  at: SourceLocation(line: headerRecord.line))
            }
            moduleColumn = m
        } else {
            moduleColumn = 0
        }
        var rows: [Row] = []
        for record in records.dropFirst() {
            guard record.fields.count == header.count else {
                throw FormatError(.factoryBadData, "row has \(record.fields.count) cells but the header has \(header.count)",
                                  at: SourceLocation(line: record.line))
            }
            let module = record.fields[moduleColumn]
            guard !module.isEmpty else {
                throw FormatError(.factoryBadData, "empty module name", at: SourceLocation(line: record.line, field: header[moduleColumn]))
            }
            rows.append(Row(line: record.line, cells: record.fields, module: module, platform: platformColumn.map { record.fields[$0] }))
        }
        guard !rows.isEmpty else { throw FormatError(.factoryBadData, "the data CSV has no module rows", at: SourceLocation(line: headerRecord.line)) }
        return FactoryParamData(header: header, rows: rows, platformColumn: platformColumn, moduleColumn: moduleColumn)
    }

    /// Whether `name` (as given with --platform) selects `cell`: case-insensitive, `ESP32` also selects `PLATFORM_ESP32`.
    static func platform(_ cell: String, matches name: String) -> Bool {
        cell.uppercased() == name.uppercased() || cell.uppercased() == "PLATFORM_" + name.uppercased()
    }

    /// Rows with this platform (all rows when nil).
    public func rows(platform: String?) throws(FormatError) -> [Row] {
        guard let platform else { return rows }
        guard !isV1Form else {
            throw FormatError(.factoryNoModule, "this data CSV has no 'platform' column (esp-at v1.2 form); leave out --platform")
        }
        let selected = rows.filter { Self.platform($0.platform ?? "", matches: platform) }
        guard !selected.isEmpty else {
            let known = Set(rows.compactMap(\.platform)).sorted().joined(separator: ", ")
            throw FormatError(.factoryNoModule, "no row has platform '\(platform)'", help: "platforms in the file: \(known)")
        }
        return selected
    }

    /// The one row for `module` (case-insensitive), refusing no match and ambiguous matches. The original writes an
    /// all-0xFF bin without an error when nothing matches.
    public func row(module: String, platform: String?) throws(FormatError) -> Row {
        let candidates = try rows(platform: platform)
        let matches = candidates.filter { $0.module.uppercased() == module.uppercased() }
        guard !matches.isEmpty else {
            throw FormatError(.factoryNoModule, "no row for module '\(module)'" + (platform.map { " on platform '\($0)'" } ?? ""),
                              help: "modules: " + candidates.map { ($0.platform.map { $0 + "/" } ?? "") + $0.module }.joined(separator: ", "))
        }
        guard matches.count == 1 else {
            let lines = matches.map { "line \($0.line)" + ($0.platform.map { " (\($0))" } ?? "") }.joined(separator: ", ")
            throw FormatError(.factoryNoModule, "module '\(module)' is on more than one row: \(lines)",
                              at: SourceLocation(line: matches[1].line),
                              help: isV1Form ? "give each row a distinct module name" : "choose one with --platform")
        }
        return matches[0]
    }
}
