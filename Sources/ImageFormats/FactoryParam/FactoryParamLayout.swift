/// The field layout of the AT firmware's factory_param partition (esp-at v1.1.3 – v3.0), as given by
/// `factory_param_type.csv` (`param_name,offset,type,size`) or built in for the three known versions.
/// Reference: shared/reference/esp-at.md §2.
public struct FactoryParamLayout: Sendable, Equatable {
    public enum Kind: String, Sendable { case integer, string = "String" }

    public struct Field: Sendable, Equatable {
        public var name: String
        public var offset: Int
        public var kind: Kind
        public var size: Int
        /// Line in the type CSV (nil for built-in layouts).
        public var line: Int?

        public init(name: String, offset: Int, kind: Kind, size: Int, line: Int? = nil) {
            self.name = name
            self.offset = offset
            self.kind = kind
            self.size = size
            self.line = line
        }

        /// Pins, the UART port and the baud rate use -1 (all FF) for "not used": show them signed.
        public var isSigned: Bool {
            name.hasSuffix("_pin") || name == "uart_port" || name == "uart_baudrate"
        }
    }

    /// Fields with a size above 0 (the type CSV lists size 0 / offset -1 rows that the generator ignores).
    public var fields: [Field]
    /// Names the type CSV lists with size <= 0: data columns with these names are not stored.
    public var ignoredNames: Set<String>

    public init(fields: [Field], ignoredNames: Set<String> = []) {
        self.fields = fields
        self.ignoredNames = ignoredNames
    }

    public func field(named name: String) -> Field? { fields.first { $0.name == name } }

    /// The partition image size (`ESP_AT_FACTORY_PARAM_SIZE`).
    public static let imageSize = 4096
    /// Bytes 0–1 of every version (the firmware ignores the partition otherwise).
    public static let magic: [UInt8] = [0xFC, 0xFC]

    /// The layout of `version` as esp-at's own type CSVs define it: 1 = v1.2.0.0 – v2.0, 2 = v2.1, 3 = v2.2 – v3.0.
    public static func builtIn(version: Int) -> FactoryParamLayout? {
        func i(_ name: String, _ offset: Int, _ size: Int = 1) -> Field { Field(name: name, offset: offset, kind: .integer, size: size) }
        func s(_ name: String, _ offset: Int, _ size: Int) -> Field { Field(name: name, offset: offset, kind: .string, size: size) }
        let common = [i("magic_flag", 0, 2), i("version", 2)]
        switch version {
        case 1:
            return FactoryParamLayout(fields: common + [
                i("module_id", 3), i("tx_max_power", 4), i("start_channel", 6), i("channel_num", 7), s("country_code", 8, 4),
                i("uart_baudrate", 12, 4), i("uart_tx_pin", 16), i("uart_rx_pin", 17), i("uart_ctx_pin", 18), i("uart_rts_pin", 19),
            ], ignoredNames: ["module_name"])
        case 2:
            return FactoryParamLayout(fields: common + [
                i("module_id", 3), i("tx_max_power", 4), i("uart_port", 5), i("start_channel", 6), i("channel_num", 7),
                s("country_code", 8, 4), i("uart_baudrate", 12, 4), i("uart_tx_pin", 16), i("uart_rx_pin", 17),
                i("uart_ctx_pin", 18), i("uart_rts_pin", 19), i("tx_control_pin", 20), i("rx_control_pin", 21),
            ], ignoredNames: ["platform", "module_name"])
        case 3:
            return FactoryParamLayout(fields: common + [
                i("reserved1", 3), i("tx_max_power", 4), i("uart_port", 5), i("start_channel", 6), i("channel_num", 7),
                s("country_code", 8, 4), i("uart_baudrate", 12, 4), i("uart_tx_pin", 16), i("uart_rx_pin", 17),
                i("uart_cts_pin", 18), i("uart_rts_pin", 19), i("tx_control_pin", 20), i("rx_control_pin", 21),
                s("reserved2", 22, 2), s("platform", 24, 32), s("module_name", 56, 32),
            ], ignoredNames: ["description", "module_id"])
        default:
            return nil
        }
    }

    /// Reads a type CSV as factory_param_generate.py does (header `param_name,offset,type,size`, matched by
    /// name), and refuses what it would silently get wrong: integer sizes above 4, fields beyond 4096 bytes,
    /// overlapping fields, unknown types and duplicate names.
    public static func parseTypeCSV(_ text: String) throws(FormatError) -> FactoryParamLayout {
        let records = PythonCSV.records(text).filter { !$0.isBlank }
        guard let header = records.first else { throw FormatError(.factoryBadTypes, "the type CSV is empty", at: SourceLocation(line: 1)) }
        let names = header.fields.map { $0.trimmingWhitespace() }
        func column(_ name: String) throws(FormatError) -> Int {
            guard let i = names.firstIndex(of: name), name == "param_name" ? i == 0 : i > 0 else {
                throw FormatError(.factoryBadTypes, "the header needs a '\(name)' column (param_name,offset,type,size)",
                                  at: SourceLocation(line: header.line))
            }
            return i
        }
        _ = try column("param_name")
        let (offsetColumn, typeColumn, sizeColumn) = (try column("offset"), try column("type"), try column("size"))
        var fields: [Field] = []
        var ignored: Set<String> = []
        var seen: Set<String> = []
        for record in records.dropFirst() {
            func location(_ field: String) -> SourceLocation { SourceLocation(line: record.line, field: field) }
            guard record.fields.count == names.count else {
                throw FormatError(.factoryBadTypes, "row has \(record.fields.count) cells but the header has \(names.count)",
                                  at: SourceLocation(line: record.line))
            }
            let name = record.fields[0]
            guard !name.isEmpty else { throw FormatError(.factoryBadTypes, "empty parameter name", at: location("param_name")) }
            guard seen.insert(name).inserted else {
                throw FormatError(.factoryBadTypes, "parameter '\(name)' is defined twice", at: location("param_name"))
            }
            let size = try plainInteger(record.fields[sizeColumn], at: location("size"))
            let offset = try plainInteger(record.fields[offsetColumn], at: location("offset"))
            if size <= 0 {
                ignored.insert(name)
                continue
            }
            let kind: Kind
            switch record.fields[typeColumn] {
            case "integer": kind = .integer
            case "String", "string": kind = .string
            case let other:
                throw FormatError(.factoryBadTypes, "type '\(other)' is neither 'integer' nor 'String'", at: location("type"),
                                  help: "factory_param_generate.py treats every type except 'integer' (exact spelling) as a string")
            }
            guard kind == .string || size <= 4 else {
                throw FormatError(.factoryBadTypes, "an integer field holds at most 4 bytes, not \(size)", at: location("size"))
            }
            guard offset >= 0, offset + size <= imageSize else {
                throw FormatError(.factoryBadTypes, "bytes \(offset)..<\(offset + size) are outside the \(imageSize)-byte partition",
                                  at: location("offset"))
            }
            if let other = fields.first(where: { $0.offset < offset + size && offset < $0.offset + $0.size }) {
                throw FormatError(.factoryBadTypes, "'\(name)' (bytes \(offset)..<\(offset + size)) overlaps '\(other.name)'",
                                  at: location("offset"))
            }
            fields.append(Field(name: name, offset: offset, kind: kind, size: size, line: record.line))
        }
        // factory_param_generate.py writes an all-FF image (no magic: the firmware ignores it) from such a file.
        guard !fields.isEmpty else {
            throw FormatError(.factoryBadTypes, "the type CSV defines no parameter (only a header, or only size-0 rows)",
                              at: SourceLocation(line: header.line), help: "add rows param_name,offset,type,size, starting with magic_flag,0,integer,2")
        }
        return FactoryParamLayout(fields: fields, ignoredNames: ignored)
    }

    /// Python `int(x)` for the offset and size columns: optional sign and decimal digits.
    static func plainInteger(_ cell: String, at location: SourceLocation) throws(FormatError) -> Int {
        let text = cell.trimmingWhitespace()
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.count < 10, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw FormatError(.factoryBadTypes, "'\(cell)' is not a decimal number", at: location)
        }
        return (text.hasPrefix("-") ? -1 : 1) * Int(digits)!
    }
}

extension FormatError.Code {
    static let factoryBadTypes: FormatError.Code = "factory_param.bad_types"
    static let factoryBadData: FormatError.Code = "factory_param.bad_data"
    static let factoryBadCell: FormatError.Code = "factory_param.bad_cell"
    static let factoryNoModule: FormatError.Code = "factory_param.no_module"
    static let factoryBadBinary: FormatError.Code = "factory_param.bad_binary"
}
