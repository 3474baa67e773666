import Foundation
import ImageFormats

/// A station recipe folder for tests: a small bootable ESP32 AT layout for a 1 MB flash (bootloader, main table
/// with nvs and at_customize, at_customize with factory_param, a stand-in esp-at app), a values CSV with a unique
/// serial, SSID and factory_param module name per unit, the NVS template and the factory_param CSVs, and
/// `recipe.toml` naming them and the ports.
public enum StationFixture {
    public static let nvsOffset = 0x9000
    public static let nvsSize = 0x6000
    public static let factoryParamOffset = 0x30000
    public static let appVersion = "v2.4.0.0"

    public static func serial(_ i: Int) -> String { "SN" + String(100_000 + i) }
    public static func ssid(_ i: Int) -> String { "net-\(i * 7 % 1000)-\(i)" }
    public static func moduleName(_ i: Int) -> String { "MOD-" + serial(i) }
    public static func txPower(_ i: Int) -> Int { 40 + i % 40 }

    /// Writes the folder; `recipeExtra` is appended to the recipe (e.g. `[retries]`), `unitBlock` to `[unit]`.
    @discardableResult
    public static func write(to directory: String, units: Int, ports: [String], testAT: Bool = true, unitExtra: String = "",
                             recipeExtra: String = "") throws -> String {
        let root = packageRoot.appendingPathComponent("Fixtures")
        func put(_ name: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name)) }
        func copy(_ fixture: String, _ name: String) throws { try put(name, Array(try Data(contentsOf: root.appendingPathComponent(fixture)))) }
        try copy("images/bootloader_esp32.bin", "bootloader.bin")
        try copy("esp-at/worked-example/factory_param_type.csv", "factory_param_type.csv")
        try copy("esp-at/worked-example/factory_param_data.csv", "factory_param_data.csv")
        try put("partitions.bin", try PartitionTable(entries: [
            PartitionEntry(name: "nvs", type: 1, subtype: 2, offset: UInt32(nvsOffset), size: UInt32(nvsSize)),
            PartitionEntry(name: "phy_init", type: 1, subtype: 1, offset: 0xF000, size: 0x1000),
            PartitionEntry(name: "at_customize", type: 0x40, subtype: 0, offset: 0x20000, size: 0x20000),
            PartitionEntry(name: "factory", type: 0, subtype: 0, offset: 0x40000, size: 0xC0000),
        ]).encoded())
        try put("at_customize.bin", try PartitionTable(entries: [
            PartitionEntry(name: "ble_data", type: 0x40, subtype: 1, offset: 0x21000, size: 0x3000),
            PartitionEntry(name: "factory_param", type: 0x40, subtype: 8, offset: UInt32(factoryParamOffset), size: 0x1000),
        ]).encoded())
        var app = AppImage.Options(chip: .esp32)
        app.projectName = "esp-at"
        app.version = appVersion
        app.codeSize = 8 * 1024
        try put("esp-at.bin", try AppImage.make(app))
        var csv = "serial,wifi_ssid,factory_param.module_name,factory_param.tx_max_power\n"
        for i in 0..<units { csv += "\(serial(i)),\(ssid(i)),\(moduleName(i)),\(txPower(i))\n" }
        try put("units.csv", Array(csv.utf8))
        try put("nvs_template.csv", Array("key,type,encoding,value\nfactory,namespace,,\nserial,data,string,{serial}\nssid,data,string,{wifi_ssid}\n".utf8))
        var recipe = """
            chip = "esp32"
            flash = [["0x1000", "bootloader.bin"], ["0x8000", "partitions.bin"], ["0x20000", "at_customize.bin"], ["0x40000", "esp-at.bin"]]
            station = "test-station"

            [unit]
            values = "units.csv"
            id = "serial"
            \(unitExtra)

            [unit.nvs]
            template = "nvs_template.csv"
            partition = "nvs"

            [unit.factory_param]
            types = "factory_param_type.csv"
            data = "factory_param_data.csv"
            module = "WROOM-32"
            platform = "PLATFORM_ESP32"

            [test]
            at = \(testAT)
            expect_version = "\(appVersion)"

            \(recipeExtra)

            """
        for port in ports { recipe += "[[port]]\npath = \"\(port)\"\n\n" }
        let path = directory + "/recipe.toml"
        try put("recipe.toml", Array(recipe.utf8))
        return path
    }
}

extension StationFixture {
    /// The unit number of a serial (`SN100042` → 42).
    public static func unitNumber(_ serial: String) -> Int? { Int(serial.dropFirst(2)).map { $0 - 100_000 } }

    /// What is wrong with a module's saved flash for the unit `serial`: its factory_param and NVS must hold
    /// exactly that unit's values (module name, TX power; serial, SSID). Empty when all is right.
    public static func problems(inFlash flash: [UInt8], serial: String) -> [String] {
        guard let i = unitNumber(serial) else { return ["\(serial) is not a fixture serial"] }
        var problems: [String] = []
        do {
            let types = try String(contentsOf: packageRoot.appendingPathComponent("Fixtures/esp-at/worked-example/factory_param_type.csv"), encoding: .utf8)
            let layout = try FactoryParamLayout.parseTypeCSV(types)
            let param = try FactoryParamImage.decode(Array(flash[factoryParamOffset..<(factoryParamOffset + 4096)]), layout: layout)
            let fields = Dictionary(param.fields.map { ($0.field.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            if fields["module_name"] != .string(moduleName(i), terminated: true) {
                problems.append("factory_param module_name is \(String(describing: fields["module_name"])), not \(moduleName(i))")
            }
            if fields["tx_max_power"] != .integer(txPower(i)) {
                problems.append("factory_param tx_max_power is \(String(describing: fields["tx_max_power"])), not \(txPower(i))")
            }
            let nvs = try NVSImage(Array(flash[nvsOffset..<(nvsOffset + nvsSize)]))
            var strings: [String: String] = [:]
            for page in nvs.pages {
                for item in page.items where item.type == .string {
                    strings[item.key] = String(decoding: (item.payload ?? []).prefix { $0 != 0 }, as: UTF8.self)
                }
            }
            if strings["serial"] != serial { problems.append("NVS serial is \(strings["serial"] ?? "missing"), not \(serial)") }
            if strings["ssid"] != ssid(i) { problems.append("NVS ssid is \(strings["ssid"] ?? "missing"), not \(ssid(i))") }
        } catch {
            problems.append("cannot decode: \(error)")
        }
        return problems
    }
}
