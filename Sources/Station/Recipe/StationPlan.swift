import Crypto
import ImageFormats
import SerialBootloader

/// A recipe with everything it names read and checked: the common files, the units, the per-unit regions and
/// builders, the AT test's expectations, and the recipe hash every record carries.
public struct StationPlan: Sendable {
    public let recipe: Recipe
    /// The recipe file as named (for messages).
    public let recipeFile: String
    /// SHA-256 of the recipe and every file it read, in order (lower-case hex).
    public let recipeHash: String
    /// The files every module gets, as given (the chip guard looks at them whole).
    public let commonImages: [FlashImage]
    public let pool: UnitPool?
    public let builder: ModuleImageBuilder
    /// at_customize.bin's entries the AT test expects (the recipe's `test.layout`, else the flashed at_customize table).
    public let layout: [PartitionEntry]?

    /// Reads and checks the recipe text and all it names.
    public static func load(recipeText: String, file: String, files: any RecipeFiles) throws(RecipeError) -> StationPlan {
        var hasher = SHA256()
        func take(_ name: String, _ bytes: [UInt8]) {
            hasher.update(data: Array(name.utf8) + [0])
            hasher.update(data: bytes)
        }
        take(file, Array(recipeText.utf8))
        func read(_ path: String) throws(RecipeError) -> [UInt8] {
            let bytes = try files.read(path)
            take(path, bytes)
            return bytes
        }
        let recipe = try Recipe.parse(recipeText, file: file)
        var common: [FlashImage] = []
        for entry in recipe.flash {
            let bytes = try read(entry.path)
            guard !bytes.isEmpty else { throw RecipeError(file: file, line: entry.line, key: "flash", "\(entry.path) is empty") }
            common.append(FlashImage(address: entry.address, data: bytes, name: entry.path))
        }
        do throws(FlashPlanError) { _ = try PlannedRegion.plan(common, flashSize: nil) } catch {
            throw RecipeError(file: file, line: recipe.flash.first?.line, key: "flash", error.description)
        }
        let layout = FlashLayout(common)
        var pool: UnitPool?
        var parts: [(ModuleImageBuilder.Region, ModuleImageBuilder.Part)] = []
        var unitFiles: [String: [UInt8]] = [:]
        if let unit = recipe.unit {
            let loadedPool = try UnitPool.parse(try text(read(unit.values), file: unit.values), idColumn: unit.idColumn, name: unit.pool, file: unit.values)
            pool = loadedPool
            let context = UnitContext(recipe: recipe, file: file, layout: layout, pool: loadedPool, lines: TOMLKeyLines(recipeText))
            if let spec = unit.factoryParam { parts.append(try context.factoryParam(spec, read: read)) }
            if let spec = unit.nvs {
                let (part, needed) = try context.nvs(spec, read: read)
                parts.append(part)
                for path in needed where unitFiles[path] == nil { unitFiles[path] = try read(path) }
            }
            for (i, spec) in unit.pki.enumerated() {
                let (part, needed) = try context.pki(spec, index: i)
                parts.append(part)
                for path in needed where unitFiles[path] == nil { unitFiles[path] = try read(path) }
            }
            try context.checkRegions(parts.map(\.0))
        }
        var expectedLayout = layout.atCustomize
        if let path = recipe.test.layout {
            let bytes = try read(path)
            do throws(FormatError) {
                expectedLayout = try PartitionTable.load(bytes, options: PartitionTableOptions()).table.entries
            } catch {
                throw RecipeError(file: path, line: error.location.line, key: error.location.field, error.message, help: error.help)
            }
        }
        let builder = ModuleImageBuilder(parts: parts.map { (region: $0.0, part: $0.1) }, commonPieces: layout.cut(around: parts.map { $0.0.address..<($0.0.address + $0.0.size) }),
                                         files: unitFiles)
        if let first = pool?.units.first { _ = try builder.images(for: first) }  // template errors now, not at the first module
        let hash = hasher.finalize().map { String($0, radix: 16).leftPadded2 }.joined()
        return StationPlan(recipe: recipe, recipeFile: file, recipeHash: hash, commonImages: common, pool: pool, builder: builder,
                           layout: expectedLayout)
    }
}

func text(_ bytes: [UInt8], file: String) throws(RecipeError) -> String {
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    guard let text = String(validating: body, as: UTF8.self) else { throw RecipeError(file: file, "not UTF-8 text") }
    return text
}

extension String {
    var leftPadded2: String { count == 1 ? "0" + self : self }
}

/// Resolves the `[unit.*]` tables against the loaded files.
private struct UnitContext {
    let recipe: Recipe
    let file: String
    let layout: FlashLayout
    let pool: UnitPool
    let lines: TOMLKeyLines

    func error(_ key: String, _ message: String, help: String? = nil) -> RecipeError {
        RecipeError(file: file, line: lines.line(key), key: key, message, help: help)
    }

    func region(_ placement: Placement, size: Int?, name: String, key: String) throws(RecipeError) -> ModuleImageBuilder.Region {
        switch placement {
        case .offset(let offset, let given):
            guard let bytes = size ?? given else { throw error(key + ".size", "give the size of the region at 0x\(String(offset, radix: 16))") }
            return ModuleImageBuilder.Region(name: name, address: offset, size: (bytes + 0xFFF) / 0x1000 * 0x1000)
        case .partition(let partition):
            guard let entry = layout.partition(named: partition) else {
                let known = layout.partitionNames
                throw error(key + ".partition", "no partition '\(partition)' in the flashed tables",
                            help: known.isEmpty ? "no partition table is flashed at 0x8000: give offset and size" : "partitions: " + known.joined(separator: ", "))
            }
            let bytes = size ?? Int(entry.size)
            guard bytes <= Int(entry.size) else { throw error(key + ".size", "0x\(String(bytes, radix: 16)) is larger than partition '\(partition)'") }
            return ModuleImageBuilder.Region(name: name, address: Int(entry.offset), size: (bytes + 0xFFF) / 0x1000 * 0x1000)
        }
    }

    func factoryParam(_ spec: FactoryParamSpec, read: (String) throws(RecipeError) -> [UInt8])
        throws(RecipeError) -> (ModuleImageBuilder.Region, ModuleImageBuilder.Part) {
        let key = "unit.factory_param"
        let layoutCSV: FactoryParamLayout
        let data: FactoryParamData
        let typesText = try text(read(spec.types), file: spec.types)
        let dataText = try text(read(spec.data), file: spec.data)
        do throws(FormatError) { layoutCSV = try FactoryParamLayout.parseTypeCSV(typesText) } catch {
            throw RecipeError(file: spec.types, line: error.location.line, key: error.location.field, error.message, help: error.help)
        }
        do throws(FormatError) { data = try FactoryParamData.parse(dataText) } catch {
            throw RecipeError(file: spec.data, line: error.location.line, key: error.location.field, error.message, help: error.help)
        }
        let row: FactoryParamData.Row
        do throws(FormatError) { row = try data.row(module: spec.module, platform: spec.platform) } catch {
            throw self.error(key + ".module", error.message, help: error.help)
        }
        for column in pool.columns where column.hasPrefix(UnitPool.factoryParamPrefix) {
            let field = String(column.dropFirst(UnitPool.factoryParamPrefix.count))
            if layoutCSV.field(named: field) == nil {
                throw RecipeError(file: recipe.unit!.values, line: 1, key: column, "factory_param has no field '\(field)' (\(spec.types))",
                                  help: "fields: " + layoutCSV.fields.map(\.name).joined(separator: ", "))
            }
        }
        let placement: Placement = spec.offset.map { .offset($0, size: FactoryParamLayout.imageSize) } ?? .partition("factory_param")
        var region = try region(placement, size: FactoryParamLayout.imageSize, name: "factory_param", key: key)
        if spec.offset == nil, region.size < FactoryParamLayout.imageSize { region.size = FactoryParamLayout.imageSize }
        return (region, .factoryParam(data, layoutCSV, row: row))
    }

    func nvs(_ spec: NVSSpec, read: (String) throws(RecipeError) -> [UInt8])
        throws(RecipeError) -> ((ModuleImageBuilder.Region, ModuleImageBuilder.Part), [String]) {
        let rows: [NVSCSV.Row]
        let templateBytes = try read(spec.template)
        do throws(FormatError) { rows = try NVSCSV.rows(templateBytes) } catch {
            throw RecipeError(file: spec.template, line: error.location.line, key: error.location.field, error.message, help: error.help)
        }
        var files: [String] = []
        for row in rows {
            guard case .text(let value) = row.value else { continue }
            for column in UnitTemplate.columns(in: value) where !pool.columns.contains(column) {
                throw RecipeError(file: spec.template, line: row.line, key: "value", "{\(column)} is not a column of \(recipe.unit!.values)",
                                  help: "columns: " + pool.columns.joined(separator: ", "))
            }
            if row.type == "file" { files += pool.units.map { UnitTemplate.apply(value, unit: $0) } }
        }
        let region = try region(spec.placement, size: spec.size, name: "nvs", key: "unit.nvs")
        return ((region, .nvs(rows: rows, version: spec.version, template: spec.template)), Array(Set(files)).sorted())
    }

    func pki(_ spec: PKISpec, index: Int) throws(RecipeError) -> ((ModuleImageBuilder.Region, ModuleImageBuilder.Part), [String]) {
        let key = "unit.pki[\(index)]"
        var files: [String] = []
        for (i, item) in spec.items.enumerated() {
            for column in UnitTemplate.columns(in: item.path) where !pool.columns.contains(column) {
                throw error(key + ".items[\(i)]", "{\(column)} is not a column of \(recipe.unit!.values)")
            }
            files += pool.units.map { UnitTemplate.apply(item.path, unit: $0) }
        }
        let name: String = if case .partition(let p) = spec.placement { p } else { "pki\(index)" }
        let region = try region(spec.placement, size: nil, name: name, key: key)
        return ((region, .pki(items: spec.items)), Array(Set(files)).sorted())
    }

    /// Per-unit regions start on sectors and do not overlap each other.
    func checkRegions(_ regions: [ModuleImageBuilder.Region]) throws(RecipeError) {
        let sorted = regions.sorted { $0.address < $1.address }
        for r in sorted where r.address % 0x1000 != 0 {
            throw error("unit", "\(r.name) at 0x\(String(r.address, radix: 16)) does not start on a 4 KB sector")
        }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.address + a.size > b.address {
            throw error("unit", "\(a.name) (0x\(String(a.address, radix: 16))+0x\(String(a.size, radix: 16))) overlaps \(b.name) at 0x\(String(b.address, radix: 16))")
        }
    }
}
