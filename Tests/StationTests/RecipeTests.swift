import Foundation
import ImageFormats
import SerialBootloader
import Station
import TestSupport
import Testing

/// Recipes and values files: what they say, and errors that name the file, the line and the key.
@Suite("Station recipes")
struct RecipeTests {
    static let minimal = """
        chip = "esp32"
        flash = [["0x0", "factory.bin"]]
        """

    static func error(_ text: String) -> RecipeError? {
        do { _ = try Recipe.parse(text, file: "line.toml"); return nil } catch { return error }
    }

    @Test func fullRecipe() throws {
        let recipe = try Recipe.parse("""
            chip = "esp32"
            min_revision = "v1.0"
            flash = [
              ["0x1000", "bootloader.bin"],
              ["0x8000", "partitions.bin"],
            ]
            baud = 921600
            station = "line-3"

            [unit]
            values = "data/units.csv"
            id = "serial"
            release = "unwritten"

            [unit.nvs]
            template = "nvs_template.csv"
            offset = "0x12000"
            size = "0xE000"

            [unit.factory_param]
            types = "factory_param_type.csv"
            data = "factory_param_data.csv"
            module = "WROOM-32"
            offset = "0x30000"

            [[unit.pki]]
            partition = "client_cert"
            items = [["cert", "certs/{serial}.crt"]]

            [test]
            at = true
            expect_version = "v2.4.0.0"

            [retries]
            connect = 2
            write = 0

            [[port]]
            path = "/dev/ttyUSB0"
            at_path = "/dev/ttyUSB1"

            [[port]]
            path = "virtual://esp32?line=1"
            """, file: "line.toml")
        #expect(recipe.chip == .esp32 && recipe.minimumRevision == ChipRevision(major: 1, minor: 0) && recipe.baudRate == 921_600)
        #expect(recipe.flash == [FlashEntry(address: 0x1000, path: "bootloader.bin", line: 4), FlashEntry(address: 0x8000, path: "partitions.bin", line: 5)])
        #expect(recipe.unit?.pool == "units" && recipe.unit?.release == .unwritten && recipe.unit?.idColumn == "serial")
        #expect(recipe.unit?.nvs?.placement == .offset(0x12000, size: 0xE000) && recipe.unit?.nvs?.size == 0xE000)
        #expect(recipe.unit?.factoryParam?.offset == 0x30000 && recipe.unit?.pki.first?.placement == .partition("client_cert"))
        #expect(recipe.test.at && recipe.test.expectVersion == "v2.4.0.0")
        #expect(recipe.retries == RetryPolicy(connect: 2, write: 0, test: 1))
        #expect(recipe.ports == [PortSpec(path: "/dev/ttyUSB0", atPath: "/dev/ttyUSB1", line: 38), PortSpec(path: "virtual://esp32?line=1", line: 42)])
    }

    @Test("errors name the line and the key", arguments: [
        ("chip = \"esp99\"\nflash = [[\"0x0\", \"f.bin\"]]", 1, "chip"),
        (minimal + "\n[unit]\nvalues = \"u.csv\"\n", 3, "unit.id"),
        (minimal + "\n[unit]\nvalues = \"u.csv\"\nid = \"serial\"\n\n[unit.nvs]\ntemplate = \"t.csv\"\noffset = \"0x12001\"\nsize = \"0x3000\"\n", 9, "unit.nvs.offset"),
        (minimal + "\n[test]\nat = \"yes\"\n", 4, "test.at"),
        (minimal + "\n[[port]]\npath = \"/dev/ttyUSB0\"\n[[port]]\npath = \"/dev/ttyUSB0\"\n", 6, "port[1].path"),
        (minimal + "\nbaud_rate = 921600\n", 3, "baud_rate"),
        ("chip = \"esp32\"\nflash = [\n  [\"0x0\", \"a.bin\"],\n  [\"nowhere\", \"b.bin\"],\n]\n", 4, "flash[1]"),
        ("chip = \"esp32\"\nflash = [[\"0x0\", \"a.bin\"]\n", 2, nil),
        (minimal + "\n[discover]\nfilter = [\"vid=0x10C4\", \"colour=red\"]\n", 4, "discover.filter"),
        (minimal + "\n[discover]\ninterval = 0\n", 4, "discover.interval"),
        (minimal + "\n[discover]\nports = 3\n", 4, "discover.ports"),
    ] as [(String, Int, String?)])
    func errors(text: String, line: Int, key: String?) {
        let error = Self.error(text)
        #expect(error?.line == line && error?.key == key, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("line.toml:\(line): ") == true)
    }

    @Test("[discover]: esptool's port filter terms and the interval; listed ports and discovery do not mix")
    func discovery() throws {
        let recipe = try Recipe.parse(Self.minimal + "\n[discover]\nfilter = [\"vid=0x10C4\", \"serial=ab\"]\ninterval = 2\n", file: "line.toml")
        var filter = PortFilter()
        try filter.add("vid=0x10C4")
        try filter.add("serial=ab")
        #expect(recipe.discovery == DiscoverySpec(filter: filter, interval: 2, line: 3))
        #expect(try Recipe.parse(Self.minimal + "\n[discover]\n", file: "line.toml").discovery == DiscoverySpec(line: 3))
        let both = Self.error(Self.minimal + "\n[discover]\n\n[[port]]\npath = \"/dev/ttyUSB0\"\n")
        #expect(both?.key == "discover" && both?.description.contains("not both") == true, "\(String(describing: both))")
    }

    @Test("values files: the id column, one cell per column, unique ids; named by file and line")
    func valuesErrors() throws {
        func fails(_ text: String) -> RecipeError? {
            do { _ = try UnitPool.parse(text, idColumn: "serial", name: "u", file: "units.csv"); return nil } catch { return error }
        }
        #expect(fails("sn,x\nA,1\n")?.line == 1)
        #expect(fails("serial,x\nA,1\nB\n")?.line == 3)
        #expect(fails("serial,x\nA,1\nA,2\n")?.description == "units.csv:3: field 'serial': unit 'A' is also on line 2")
        #expect(fails("serial,x\n,1\n")?.key == "serial")
        #expect(try UnitPool.parse("serial,x\nA,1\n\nB,2\n", idColumn: "serial", name: "u", file: "units.csv").units.map(\.line) == [2, 4])
    }

    @Test("loading reads every file, finds partitions by name, and checks templates against the values columns")
    func loading() throws {
        let directory = try LineStationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recipe = try StationFixture.write(to: directory, units: 3, ports: ["virtual://esp32?line=1"])
        let text = try String(contentsOfFile: recipe, encoding: .utf8)
        let plan = try StationPlan.load(recipeText: text, file: "recipe.toml", files: DirectoryFiles(directory: directory))
        #expect(plan.builder.regions.map(\.name) == ["nvs", "factory_param"] || plan.builder.regions.map(\.name) == ["factory_param", "nvs"])
        #expect(plan.layout?.map(\.name) == ["ble_data", "factory_param"])
        let images = try plan.builder.images(for: plan.pool!.units[1])
        #expect(images.map(\.address) == images.map(\.address).sorted())
        var flash = [UInt8](repeating: 0xFF, count: 1 << 20)
        for image in images { flash.replaceSubrange(image.address..<(image.address + image.data.count), with: image.data) }
        #expect(StationFixture.problems(inFlash: flash, serial: StationFixture.serial(1)) == [])
        #expect(plan.recipeHash.count == 64)

        let badTemplate = text.replacingOccurrences(of: "nvs_template.csv", with: "bad.csv")
        try "key,type,encoding,value\nfactory,namespace,,\nx,data,string,{nope}\n".write(toFile: directory + "/bad.csv", atomically: true, encoding: .utf8)
        do {
            _ = try StationPlan.load(recipeText: badTemplate, file: "recipe.toml", files: DirectoryFiles(directory: directory))
            Issue.record("a template naming an unknown column was accepted")
        } catch {
            #expect(error.file == "bad.csv" && error.line == 3 && error.message.contains("{nope}"))
        }
        let missing = text.replacingOccurrences(of: "esp-at.bin", with: "gone.bin")
        do {
            _ = try StationPlan.load(recipeText: missing, file: "recipe.toml", files: DirectoryFiles(directory: directory))
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.isIOError && error.file == "gone.bin")
        }
    }
}
