/// Building and reading the 4096-byte factory_param image, byte-compatible with esp-at's
/// `tools/factory_param_generate.py` (v2.x, and v1.2 for data CSVs without a platform column).
public enum FactoryParamImage {
    public struct Options: Sendable {
        /// Read integers with a leading 0 as octal, as the original silently does (`010` = 8). Off: refuse them.
        public var legacyOctal = false
        public init(legacyOctal: Bool = false) { self.legacyOctal = legacyOctal }
    }

    /// The image for one data row: 4096 × 0xFF, then each data column that the layout defines is zeroed and
    /// written (integers little-endian two's complement, strings UTF-8 NUL-padded). Columns the layout does not
    /// know are skipped with a warning (v2.x form) or refused (the v1.2 generator fails on them).
    public static func build(_ row: FactoryParamData.Row, data: FactoryParamData, layout: FactoryParamLayout,
                             options: Options = Options()) throws(FormatError) -> (bytes: [UInt8], warnings: [FormatWarning]) {
        var image = [UInt8](repeating: 0xFF, count: FactoryParamLayout.imageSize)
        var warnings: [FormatWarning] = []
        for (column, name) in data.header.enumerated() {
            // The v1.2 generator starts at column 1: column 0 is the module name.
            if data.isV1Form && column == 0 { continue }
            let location = SourceLocation(line: row.line, field: name)
            guard let field = layout.field(named: name) else {
                if layout.ignoredNames.contains(name) { continue }
                if data.isV1Form {
                    throw FormatError(.factoryBadData, "column '\(name)' is not in the type CSV", at: SourceLocation(line: 1, field: name),
                                      help: "factory_param_generate.py v1.2 fails on unknown columns")
                }
                if row.line == data.rows.first?.line {
                    warnings.append(FormatWarning("column '\(name)' is not in the type CSV and is not stored", at: SourceLocation(line: 1, field: name)))
                }
                continue
            }
            let cell = row.cells[column]
            let bytes: [UInt8]
            switch field.kind {
            case .integer:
                let value = try integer(cell, options: options, at: location)
                let bits = 8 * field.size
                guard value >= -(1 << (bits - 1)), value < (1 << bits) else {
                    throw FormatError(.factoryBadCell, "\(cell) does not fit in \(field.size) byte(s) (\(-(1 << (bits - 1)))...\((1 << bits) - 1))",
                                      at: location, help: "the original silently keeps only the low \(field.size) byte(s)")
                }
                bytes = (0..<field.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
            case .string:
                let utf8 = Array(cell.utf8)
                guard !utf8.contains(0) else {
                    throw FormatError(.factoryBadCell, "the text holds a NUL byte; the firmware would read only what is before it", at: location)
                }
                guard utf8.count <= field.size else {
                    throw FormatError(.factoryBadCell, "'\(cell)' is \(utf8.count) bytes; the field holds \(field.size)", at: location)
                }
                if utf8.count == field.size && field.size > 0 {
                    warnings.append(FormatWarning("'\(cell)' fills the \(field.size)-byte field, so it has no NUL terminator", at: location))
                }
                bytes = utf8 + [UInt8](repeating: 0, count: field.size - utf8.count)
            }
            image.replaceSubrange(field.offset..<(field.offset + field.size), with: bytes)
        }
        // The firmware ignores a partition without its magic; the original writes one anyway.
        guard image.starts(with: FactoryParamLayout.magic) else {
            let column = layout.fields.first { $0.offset == 0 }?.name ?? "magic_flag"
            throw FormatError(.factoryBadData, "the image would start with \(image[0..<2].spacedHex), not the magic FC FC: the firmware would ignore it",
                              at: SourceLocation(line: row.line, field: column),
                              help: "the type CSV needs magic_flag,0,integer,2 and the data 0xfcfc in that column")
        }
        return (image, warnings)
    }

    /// factory_param_generate.py's integer rule: `0x` → hex, another leading `0` → octal, else decimal. Octal is
    /// refused unless `options.legacyOctal`; empty cells, signs on hex and non-digits are refused.
    static func integer(_ cell: String, options: Options, at location: SourceLocation) throws(FormatError) -> Int {
        let text = cell.trimmingWhitespace()
        func bad(_ why: String, help: String? = nil) -> FormatError {
            FormatError(.factoryBadCell, "'\(cell)' is not an integer: \(why)", at: location, help: help)
        }
        guard !text.isEmpty else { throw bad("the cell is empty", help: "write -1 for an unused value (stored as FF)") }
        var digits = Substring(text)
        var radix = 10
        var negative = false
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            digits = digits.dropFirst(2)
            radix = 16
        } else if digits.hasPrefix("0") && digits.count > 1 {
            guard options.legacyOctal else {
                throw bad("a leading 0 makes factory_param_generate.py read it as octal (\(text) would be \(Int(text.dropFirst(), radix: 8).map(String.init) ?? "an error"))",
                          help: "write \(text.drop { $0 == "0" }.isEmpty ? "0" : String(text.drop { $0 == "0" })) (decimal), 0x… (hex), or pass --legacy-octal")
            }
            digits = digits.dropFirst()
            radix = 8
        } else if digits.hasPrefix("-") || digits.hasPrefix("+") {
            negative = digits.hasPrefix("-")
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= 12, let value = Int(digits, radix: radix), !digits.hasPrefix("+"), !digits.hasPrefix("-") else {
            throw bad(radix == 16 ? "bad hex digits" : radix == 8 ? "bad octal digits" : "not a decimal number")
        }
        return negative ? -value : value
    }

    // MARK: Reading

    public enum Value: Sendable, Equatable {
        case integer(Int)
        /// The text before the first NUL, and whether a NUL ended it.
        case string(String, terminated: Bool)
    }

    public struct DecodedField: Sendable {
        public var field: FactoryParamLayout.Field
        public var raw: [UInt8]
        public var value: Value
        /// Every byte is 0xFF: the firmware treats the parameter as unset.
        public var isUnset: Bool { raw.allSatisfy { $0 == 0xFF } }
        /// The bytes as an unsigned little-endian number (integers only).
        public var unsigned: Int { raw.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } }
    }

    public struct Decoded: Sendable {
        /// The version byte (offset 2).
        public var version: Int
        /// Whether the layout came from a type CSV or was recognised from the version byte.
        public var layoutFromTypes: Bool
        public var fields: [DecodedField]
        public var warnings: [FormatWarning]
    }

    /// Reads a factory_param image with `layout`, or, without one, with the built-in layout of its version byte
    /// (magic FC FC and version 1, 2 or 3).
    public static func decode(_ bytes: [UInt8], layout: FactoryParamLayout?) throws(FormatError) -> Decoded {
        guard bytes.count >= 3 else {
            throw FormatError(.factoryBadBinary, "the file is \(bytes.count) bytes; a factory_param image is \(FactoryParamLayout.imageSize)",
                              at: SourceLocation(byteOffset: bytes.count))
        }
        var warnings: [FormatWarning] = []
        let version = Int(bytes[2])
        if Array(bytes[0..<2]) != FactoryParamLayout.magic {
            if layout == nil || bytes.allSatisfy({ $0 == 0xFF }) {
                throw FormatError(.factoryBadBinary,
                                  bytes.allSatisfy { $0 == 0xFF } ? "the image is all 0xFF (what the original writes when no module matched)"
                                      : "bad magic \(bytes[0..<2].spacedHex); a factory_param image starts with FC FC",
                                  at: SourceLocation(byteOffset: 0))
            }
            warnings.append(FormatWarning("the magic is \(bytes[0..<2].spacedHex), not FC FC: the firmware ignores this partition",
                                          at: SourceLocation(byteOffset: 0)))
        }
        let chosen: FactoryParamLayout
        if let layout {
            chosen = layout
        } else {
            guard let builtIn = FactoryParamLayout.builtIn(version: version) else {
                throw FormatError(.factoryBadBinary, "unknown version \(version); known versions are 1, 2 and 3",
                                  at: SourceLocation(byteOffset: 2), help: "pass the type CSV with --types")
            }
            chosen = builtIn
        }
        if bytes.count != FactoryParamLayout.imageSize {
            warnings.append(FormatWarning("the file is \(bytes.count) bytes, not \(FactoryParamLayout.imageSize)"))
        }
        var fields: [DecodedField] = []
        for field in chosen.fields {
            guard field.offset + field.size <= bytes.count else {
                throw FormatError(.factoryBadBinary, "the file ends before field '\(field.name)' (bytes \(field.offset)..<\(field.offset + field.size))",
                                  at: SourceLocation(byteOffset: bytes.count))
            }
            let raw = Array(bytes[field.offset..<(field.offset + field.size)])
            let value: Value
            switch field.kind {
            case .integer:
                var v = raw.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                let bits = 8 * field.size
                if field.isSigned, v >= 1 << (bits - 1) { v -= 1 << bits }
                value = .integer(v)
            case .string:
                let end = raw.firstIndex(of: 0)
                value = .string(String(decoding: raw[..<(end ?? raw.count)], as: UTF8.self), terminated: end != nil)
            }
            fields.append(DecodedField(field: field, raw: raw, value: value))
        }
        return Decoded(version: version, layoutFromTypes: layout != nil, fields: fields, warnings: warnings)
    }
}
