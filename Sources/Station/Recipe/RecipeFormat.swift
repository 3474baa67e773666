import ImageFormats

/// The station recipe behind `FormatDecoder` (`station-recipe`): the TOML text as `station run` reads it, checked
/// by `Recipe.parse`. A `RecipeError` becomes a `FormatError` with the same line and key.
public struct StationRecipeFormat: TextFormatDecoder {
    public typealias Value = Recipe
    public init() {}
    public var formatName: String { "station-recipe" }

    public func parse(_ text: String) throws(FormatError) -> Recipe {
        do throws(RecipeError) { return try Recipe.parse(text, file: "recipe.toml") } catch {
            throw FormatError("station.recipe", error.message, at: SourceLocation(line: error.line, field: error.key), help: error.help)
        }
    }

    /// Beyond ending: an error names a line the text has (or none), and a read recipe names only lines it has, at
    /// least one flash entry, and no port twice. Parsing is deterministic (TOMLKit holds C++ state; the same text
    /// must read the same way twice).
    public func checkProperties(_ bytes: [UInt8]) -> String? {
        guard bytes.count <= maxInputSize, let text = try? TextDecoding.decode(bytes) else { return nil }
        let lineCount = text.utf8.reduce(into: 1) { count, byte in if byte == 0x0A { count += 1 } }
        func outside(_ line: Int?) -> Bool { line.map { $0 < 1 || $0 > lineCount } ?? false }
        let first = Result { () throws(FormatError) in try parse(text) }
        let second = Result { () throws(FormatError) in try parse(text) }
        switch (first, second) {
        case (.failure(let error), .failure(let again)):
            if outside(error.location.line) { return "\(formatName): error at line \(error.location.line!) of \(lineCount): \(error.message)" }
            if error.message != again.message || error.location != again.location { return "\(formatName): two readings fail differently" }
        case (.success(let recipe), .success(let again)):
            if recipe.flash.isEmpty { return "\(formatName): a recipe that flashes nothing was accepted" }
            if let entry = recipe.flash.first(where: { outside($0.line) }) { return "\(formatName): flash entry at line \(entry.line!) of \(lineCount)" }
            if Set(recipe.ports.map(\.path)).count != recipe.ports.count { return "\(formatName): a port listed twice was accepted" }
            if recipe.flash != again.flash || recipe.ports.map(\.path) != again.ports.map(\.path) || recipe.chip != again.chip {
                return "\(formatName): two readings differ"
            }
        default:
            return "\(formatName): one reading fails, the other does not"
        }
        return nil
    }
}

extension FormatCatalog {
    /// The production station's inputs: its recipe.
    public static let station: [any FormatDecoder] = [StationRecipeFormat()]
}
