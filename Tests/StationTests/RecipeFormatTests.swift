import Foundation
import ImageFormats
import Station
import TestSupport
import Testing

/// The station recipe through its `FormatDecoder` entry (fuzz target station-recipe): seeds and regression cases
/// keep their properties, and a recipe error keeps its line and key as a `FormatError`.
@Suite struct RecipeFormatTests {
    @Test func seedsAndRegressionCasesKeepTheirProperties() {
        let seeds = FuzzCases.seeds("station-recipe")
        #expect(seeds.count >= 5)
        #expect(FuzzCases.failures(FormatCatalog.station) == [])
        let decoded = seeds.filter { (try? StationRecipeFormat().decodeChecked(Array(FileManager.default.contents(atPath: $0) ?? Data()))) != nil }
        #expect(decoded.count >= 3, "\(decoded.count) of \(seeds.count) seeds decode")
    }

    @Test func anUnknownKeyIsAFormatErrorAtItsLine() {
        let text = "chip = \"esp32\"\nfactory_image = \"f.bin\"\nbaudrate = 115200\n"
        #expect(throws: FormatError.self) { try StationRecipeFormat().decode(Array(text.utf8)) }
        do { _ = try StationRecipeFormat().decode(Array(text.utf8)); Issue.record("accepted") } catch {
            #expect(error.code == "station.recipe" && error.location.line == 3 && error.location.field == "baudrate")
        }
    }

    @Test func aRecipeReadsAsStationRunReadsIt() throws {
        let recipe = try StationRecipeFormat().decode(Array("\u{FEFF}chip = \"esp32c3\"\r\nfactory_image = \"f.bin\"\r\n".utf8))
        #expect(recipe.chip == .esp32c3 && recipe.flash == [FlashEntry(address: 0, path: "f.bin", line: 2)])
    }

    /// toml++ (inside TOMLKit) aborts the process on a table header starting with a character no key starts with
    /// (found by the station-recipe fuzz target: Fixtures/fuzz/station-recipe); the recipe reader refuses them first.
    @Test(arguments: ["[#]", "[\\x]", "[[.]]", "[ *a]", "[\u{e9}]", "[\r", "[\t!]"])
    func aHeaderTOMLKitCannotReadIsRefusedAtItsLine(_ header: String) {
        let text = "chip = \"esp32\"\r\nfactory_image = \"f.bin\"\r\n" + header + "\r\n"
        do { _ = try StationRecipeFormat().decode(Array(text.utf8)); Issue.record("accepted") } catch {
            #expect(error.location.line == 3 && error.message.contains("table name"), "\(error)")
        }
        #expect(StationRecipeFormat().checkProperties(Array(text.utf8)) == nil)
    }

    @Test func anArrayElementOnItsOwnLineIsNoHeader() throws {
        let recipe = try StationRecipeFormat().decode(Array("chip = \"esp32\"\nflash = [\n  [\n    \"0x0\", \"f.bin\"\n  ]\n]\n[test]\nat = false\n".utf8))
        #expect(recipe.flash == [FlashEntry(address: 0, path: "f.bin", line: 3)])
    }
}
