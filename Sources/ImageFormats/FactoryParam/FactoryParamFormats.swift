/// factory_param inputs behind `FormatDecoder`: the type CSV (`factory-param-types`), the data CSV
/// (`factory-param-data`) and the 4096-byte bin (`factory-param-bin`).

public struct FactoryParamTypesFormat: TextFormatDecoder {
    public typealias Value = FactoryParamLayout
    public init() {}
    public var formatName: String { "factory-param-types" }
    public func parse(_ text: String) throws(FormatError) -> FactoryParamLayout { try FactoryParamLayout.parseTypeCSV(text) }
}

/// The data CSV; its property builds every row with `layout` and reads the bin back.
public struct FactoryParamDataFormat: TextFormatDecoder {
    public typealias Value = FactoryParamData
    public var layout: FactoryParamLayout

    /// The layout of esp-at v2.2 – v3.0 by default.
    public init(layout: FactoryParamLayout = FactoryParamLayout.builtIn(version: 3)!) { self.layout = layout }

    public var formatName: String { "factory-param-data" }
    public func parse(_ text: String) throws(FormatError) -> FactoryParamData { try FactoryParamData.parse(text) }

    /// A bin built from a row reads back as the row's values: each integer (modulo its field width) and each string.
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard let data = try? decodeChecked(bytes) else { return nil }
        for row in data.rows.prefix(8) {
            guard let built = try? FactoryParamImage.build(row, data: data, layout: layout) else { continue }
            let decoded: FactoryParamImage.Decoded
            do throws(FormatError) { decoded = try FactoryParamImage.decode(built.bytes, layout: layout) } catch {
                return "\(formatName): a built bin does not read back: \(error)"
            }
            for (column, name) in data.header.enumerated() where !(data.isV1Form && column == 0) {
                guard let field = decoded.fields.first(where: { $0.field.name == name }) else { continue }
                let cell = row.cells[column]
                switch field.value {
                case .integer(let value):
                    guard let written = try? FactoryParamImage.integer(cell, options: .init(), at: SourceLocation()) else { continue }
                    let modulus = 1 << (8 * field.field.size)
                    guard ((value - written) % modulus + modulus) % modulus == 0 else {
                        return "\(formatName): line \(row.line) '\(name)': wrote \(cell), read back \(value)"
                    }
                case .string(let text, _):
                    guard text == cell else { return "\(formatName): line \(row.line) '\(name)': wrote '\(cell)', read back '\(text)'" }
                }
            }
        }
        return nil
    }
}

/// The bin, read with `layout` (nil: the built-in layout its version byte names).
public struct FactoryParamBinaryFormat: FormatDecoder {
    public typealias Value = FactoryParamImage.Decoded
    public var layout: FactoryParamLayout?

    public init(layout: FactoryParamLayout? = nil) { self.layout = layout }

    public var formatName: String { "factory-param-bin" }
    public func decode(_ bytes: [UInt8]) throws(FormatError) -> FactoryParamImage.Decoded { try FactoryParamImage.decode(bytes, layout: layout) }
}
