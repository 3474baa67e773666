import ImageFormats
import SerialBootloader

/// Builds what one module gets, in memory: the common files (cut around the per-unit images) and the unit's own
/// images — factory_param (with the unit's `factory_param.FIELD` overrides), the NVS image from the template with the
/// unit's values, the PKI bins — each padded with 0xFF to its whole region.
public struct ModuleImageBuilder: Sendable {
    /// A per-unit image's place: where, how many bytes (a multiple of 4096), what it is called in reports.
    public struct Region: Sendable, Hashable {
        public var name: String
        public var address: Int
        public var size: Int
    }

    enum Part: Sendable {
        case factoryParam(FactoryParamData, FactoryParamLayout, row: FactoryParamData.Row)
        case nvs(rows: [NVSCSV.Row], version: NVSFormat.Version, template: String)
        case pki(items: [(kind: PKIBundle.Kind, path: String)])
    }

    let parts: [(region: Region, part: Part)]
    /// The common files cut around the regions.
    public let commonPieces: [FlashImage]
    /// Per-unit files (PKI items, NVS `file` rows) by resolved path, read when the recipe was loaded.
    let files: [String: [UInt8]]

    public var regions: [Region] { parts.map(\.region) }

    /// The images of `unit`, sorted by address: ready for `DeviceSession.write`.
    public func images(for unit: Unit?) throws(RecipeError) -> [FlashImage] {
        var images = commonPieces
        if let unit {
            for (region, part) in parts {
                var bytes = try build(part, unit: unit, region: region)
                guard bytes.count <= region.size else {
                    throw RecipeError(file: region.name, "unit '\(unit.id)': the image is \(bytes.count) bytes, its region holds \(region.size)")
                }
                bytes += [UInt8](repeating: 0xFF, count: region.size - bytes.count)
                images.append(FlashImage(address: region.address, data: bytes, name: "\(region.name) (\(unit.id))"))
            }
        }
        return images.sorted { $0.address < $1.address }
    }

    private func build(_ part: Part, unit: Unit, region: Region) throws(RecipeError) -> [UInt8] {
        switch part {
        case .factoryParam(let data, let layout, let row):
            let (overridden, patchedRow) = Self.override(data, row: row, with: unit)
            do throws(FormatError) {
                return try FactoryParamImage.build(patchedRow, data: overridden, layout: layout).bytes
            } catch {
                throw RecipeError(file: "units", line: unit.line, key: error.location.field.map { UnitPool.factoryParamPrefix + $0 },
                                  "unit '\(unit.id)': factory_param: \(error.message)")
            }
        case .nvs(let rows, let version, let template):
            let substituted = rows.map { row -> NVSCSV.Row in
                var r = row
                if case .text(let text) = row.value { r.value = .text(UnitTemplate.apply(text, unit: unit)) }
                return r
            }
            do throws(FormatError) {
                var generator = try NVSGenerator(size: region.size, version: version)
                try generator.add(rows: substituted) { path throws(FormatError) in
                    guard let bytes = files[path] else { throw FormatError("station.nvs_file", "file '\(path)' was not read with the recipe") }
                    return bytes
                }
                return generator.finishedImage()
            } catch {
                throw RecipeError(file: template, line: error.location.line, key: error.location.field,
                                  "unit '\(unit.id)' (values line \(unit.line)): \(error.message)")
            }
        case .pki(let items):
            var inputs: [(kind: PKIBundle.Kind, content: [UInt8], source: String)] = []
            for item in items {
                let path = UnitTemplate.apply(item.path, unit: unit)
                guard let bytes = files[path] else {
                    throw RecipeError(file: path, "unit '\(unit.id)': the file was not read with the recipe", isIOError: true)
                }
                inputs.append((item.kind, bytes, path))
            }
            do throws(FormatError) {
                return try PKIBundle.assemble(inputs).encoded()
            } catch {
                throw RecipeError(file: region.name, "unit '\(unit.id)': \(error.message)")
            }
        }
    }

    /// The data CSV with the module's row changed as the unit's `factory_param.FIELD` columns say (a field the data
    /// CSV lacks becomes a new column).
    static func override(_ data: FactoryParamData, row: FactoryParamData.Row, with unit: Unit) -> (FactoryParamData, FactoryParamData.Row) {
        var data = data
        var row = row
        for field in unit.fields where field.name.hasPrefix(UnitPool.factoryParamPrefix) {
            let name = String(field.name.dropFirst(UnitPool.factoryParamPrefix.count))
            if let column = data.header.firstIndex(of: name) {
                row.cells[column] = field.value
            } else {
                data.header.append(name)
                row.cells.append(field.value)
            }
        }
        row.line = unit.line
        data.rows = [row]
        return (data, row)
    }
}
