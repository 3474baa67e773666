import ImageFormats
import SerialBootloader

extension Recipe {
    /// Parses and checks a recipe's text. Every error names the file, the line and the key; unknown keys are
    /// errors too (a misspelt key must not be silently ignored on a production line).
    public static func parse(_ text: String, file: String) throws(RecipeError) -> Recipe {
        let root = try TOMLNode.parse(text, file: file)
        let lines = TOMLKeyLines(text)
        let top = TableReader(root, path: "", file: file, lines: lines)
        try top.allow(["chip", "min_revision", "flash", "factory_image", "baud", "station", "unit", "test", "retries", "port", "discover"])

        let chipName = try top.string("chip", required: true)!
        guard let chip = Chip.named(chipName) else {
            throw top.error("chip", "unknown chip '\(chipName)'", help: "one of " + Chip.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var minimumRevision: ChipRevision?
        if let text = try top.string("min_revision") {
            guard let revision = ChipRevision(text: text) else { throw top.error("min_revision", "'\(text)' is not a revision like v1.0 or 3.1") }
            minimumRevision = revision
        }
        let flash = try flashEntries(top)
        let baud = try top.integer("baud") ?? 115_200
        guard baud > 0 else { throw top.error("baud", "must be a positive baud rate") }
        var recipe = Recipe(chip: chip, minimumRevision: minimumRevision, flash: flash, baudRate: baud, stationID: try top.string("station"))
        if let unit = try top.table("unit") { recipe.unit = try UnitSpec(unit) }
        if let test = try top.table("test") { recipe.test = try TestSpec(test) }
        if let retries = try top.table("retries") { recipe.retries = try RetryPolicy(retries) }
        recipe.ports = try ports(top)
        if let discover = try top.table("discover") { recipe.discovery = try DiscoverySpec(discover, line: top.line("discover")) }
        if recipe.discovery != nil, !recipe.ports.isEmpty {
            throw top.error("discover", "a recipe lists its ports or discovers them, not both", help: "remove the [[port]] tables or [discover]")
        }
        if recipe.test.at, recipe.unit == nil, recipe.test.layout == nil, flash.isEmpty {
            throw top.error("test.at", "the AT test needs something flashed")
        }
        return recipe
    }

    private static func flashEntries(_ top: TableReader) throws(RecipeError) -> [FlashEntry] {
        var entries: [FlashEntry] = []
        if let factory = try top.string("factory_image") {
            entries.append(FlashEntry(address: 0, path: factory, line: top.line("factory_image")))
        }
        if let list = try top.array("flash") {
            for (i, element) in list.enumerated() {
                let key = "flash[\(i)]"
                guard case .array(let pair) = element, pair.count == 2, case .string(let addressText) = pair[0], case .string(let path) = pair[1] else {
                    throw top.error(key, "each entry is [\"ADDR\", \"FILE\"], like [\"0x10000\", \"app.bin\"]")
                }
                guard let address = IntegerText.sizeOrAddress(addressText), address >= 0 else {
                    throw top.error(key, "'\(addressText)' is not an address")
                }
                guard !path.isEmpty else { throw top.error(key, "empty file name") }
                entries.append(FlashEntry(address: address, path: path, line: top.line(key)))
            }
        }
        guard !entries.isEmpty else {
            throw top.error("flash", "the recipe flashes nothing", help: "add flash = [[\"0x0\", \"factory.bin\"]] or factory_image = \"factory.bin\"")
        }
        return entries
    }

    private static func ports(_ top: TableReader) throws(RecipeError) -> [PortSpec] {
        guard let list = try top.array("port") else { return [] }
        var ports: [PortSpec] = []
        for (i, element) in list.enumerated() {
            guard case .table(let members) = element else { throw top.error("port[\(i)]", "each [[port]] is a table") }
            let port = TableReader(members, path: "port[\(i)]", file: top.file, lines: top.lines)
            try port.allow(["path", "at_path"])
            let path = try port.string("path", required: true)!
            if ports.contains(where: { $0.path == path }) { throw port.error("path", "port '\(path)' is listed twice") }
            ports.append(PortSpec(path: path, atPath: try port.string("at_path"), line: top.line("port[\(i)]")))
        }
        return ports
    }
}

extension DiscoverySpec {
    init(_ t: TableReader, line: Int?) throws(RecipeError) {
        try t.allow(["filter", "interval"])
        var filter = PortFilter()
        for (i, term) in (try t.array("filter") ?? []).enumerated() {
            guard case .string(let text) = term else { throw t.error("filter", "each filter is a string like \"vid=0x10C4\"") }
            do throws(PortFilter.ParseError) { try filter.add(text) } catch { throw t.error("filter", "filter[\(i)]: \(error.description)") }
        }
        var interval = 1.0
        if let seconds = try t.integer("interval") {
            guard (1...60).contains(seconds) else { throw t.error("interval", "seconds between looks for new ports: 1 to 60") }
            interval = Double(seconds)
        }
        self.init(filter: filter, interval: interval, line: line)
    }
}

extension UnitSpec {
    init(_ t: TableReader) throws(RecipeError) {
        try t.allow(["values", "id", "pool", "release", "nvs", "factory_param", "pki"])
        let values = try t.string("values", required: true)!
        let id = try t.string("id", required: true)!
        let stem = values.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? values
        let pool = try t.string("pool") ?? stem
        guard !pool.isEmpty else { throw t.error("pool", "must not be empty") }
        var release = ReleasePolicy.never
        if let text = try t.string("release") {
            guard let policy = ReleasePolicy(rawValue: text) else {
                throw t.error("release", "'\(text)' is not a policy", help: "never (default), unwritten or failed")
            }
            release = policy
        }
        self.init(values: values, idColumn: id, pool: pool, release: release, line: t.line(""))
        if let nvs = try t.table("nvs") { self.nvs = try NVSSpec(nvs) }
        if let param = try t.table("factory_param") { factoryParam = try FactoryParamSpec(param) }
        if let list = try t.array("pki") {
            for (i, element) in list.enumerated() {
                guard case .table(let members) = element else { throw t.error("pki[\(i)]", "each [[unit.pki]] is a table") }
                pki.append(try PKISpec(TableReader(members, path: t.path + ".pki[\(i)]", file: t.file, lines: t.lines)))
            }
        }
    }
}

extension NVSSpec {
    init(_ t: TableReader) throws(RecipeError) {
        try t.allow(["template", "offset", "size", "partition", "version"])
        template = try t.string("template", required: true)!
        placement = try t.placement()
        size = try t.address("size")
        if let size, size % 0x1000 != 0 || size < 0x1000 { throw t.error("size", "an NVS partition is a multiple of 4096 bytes") }
        switch try t.integer("version") ?? 2 {
        case 1: version = .v1
        case 2: version = .v2
        default: throw t.error("version", "NVS format version is 1 or 2")
        }
        line = t.line("")
    }
}

extension FactoryParamSpec {
    init(_ t: TableReader) throws(RecipeError) {
        try t.allow(["types", "data", "module", "platform", "offset"])
        types = try t.string("types", required: true)!
        data = try t.string("data", required: true)!
        module = try t.string("module", required: true)!
        platform = try t.string("platform")
        offset = try t.address("offset")
        if let offset, offset % 0x1000 != 0 { throw t.error("offset", "factory_param starts on a 4 KB sector") }
        line = t.line("")
    }
}

extension PKISpec {
    init(_ t: TableReader) throws(RecipeError) {
        try t.allow(["partition", "offset", "size", "items"])
        placement = try t.placement()
        guard let list = try t.array("items"), !list.isEmpty else {
            throw t.error("items", "needs items = [[\"cert\", \"certs/{serial}.crt\"], ...]")
        }
        items = []
        for (i, element) in list.enumerated() {
            guard case .array(let pair) = element, pair.count == 2, case .string(let word) = pair[0], case .string(let path) = pair[1] else {
                throw t.error("items[\(i)]", "each item is [\"TYPE\", \"FILE\"] with TYPE ca, cert or key")
            }
            guard let kind = PKIBundle.Kind(word: word) else { throw t.error("items[\(i)]", "'\(word)' is not ca, cert or key") }
            items.append((kind, path))
        }
        line = t.line("")
    }
}

extension TestSpec {
    init(_ t: TableReader) throws(RecipeError) {
        try t.allow(["at", "expect_version", "layout", "baud"])
        self.init(at: try t.bool("at") ?? false, expectVersion: try t.string("expect_version"), layout: try t.string("layout"),
                  baudRate: try t.integer("baud"))
        if let baudRate, baudRate <= 0 { throw t.error("baud", "must be a positive baud rate") }
    }
}

extension RetryPolicy {
    init(_ t: TableReader) throws(RecipeError) {
        try t.allow(["connect", "write", "test"])
        self.init()
        for (key, path) in [("connect", \RetryPolicy.connect), ("write", \.write), ("test", \.test)] {
            if let n = try t.integer(key) {
                guard (0...100).contains(n) else { throw t.error(key, "retries are 0 to 100") }
                self[keyPath: path] = n
            }
        }
    }
}

extension ChipRevision {
    /// `v3.1`, `3.1` or `3`.
    init?(text: String) {
        let body = text.hasPrefix("v") ? text.dropFirst() : Substring(text)
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let major = Int(parts[0]), major >= 0 else { return nil }
        let minor = parts.count == 2 ? Int(parts[1]) : 0
        guard let minor, minor >= 0, minor < 100 else { return nil }
        self.init(major: major, minor: minor)
    }
}

/// Typed access to one TOML table of the recipe, with errors that name the key and its line.
struct TableReader {
    let members: [String: TOMLNode]
    let path: String
    let file: String
    let lines: TOMLKeyLines

    init(_ members: [String: TOMLNode], path: String, file: String, lines: TOMLKeyLines) {
        self.members = members
        self.path = path
        self.file = file
        self.lines = lines
    }

    func fullKey(_ key: String) -> String { path.isEmpty ? key : key.isEmpty ? path : path + "." + key }

    func line(_ key: String) -> Int? { lines.line(fullKey(key)) }

    func error(_ key: String, _ message: String, help: String? = nil) -> RecipeError {
        RecipeError(file: file, line: line(key), key: fullKey(key), message, help: help)
    }

    func allow(_ keys: Set<String>) throws(RecipeError) {
        for key in members.keys.sorted() where !keys.contains(key) {
            throw error(key, "unknown key", help: "keys here: " + keys.sorted().joined(separator: ", "))
        }
    }

    func string(_ key: String, required: Bool = false) throws(RecipeError) -> String? {
        guard let node = members[key] else {
            if required { throw error(key, "missing") }
            return nil
        }
        guard case .string(let s) = node else { throw error(key, "must be a string, not \(node.typeName)") }
        return s
    }

    func integer(_ key: String) throws(RecipeError) -> Int? {
        guard let node = members[key] else { return nil }
        guard case .integer(let n) = node else { throw error(key, "must be an integer, not \(node.typeName)") }
        return n
    }

    func bool(_ key: String) throws(RecipeError) -> Bool? {
        guard let node = members[key] else { return nil }
        guard case .bool(let b) = node else { throw error(key, "must be true or false, not \(node.typeName)") }
        return b
    }

    /// An address or size: `"0x12000"`, `"56K"` or an integer.
    func address(_ key: String) throws(RecipeError) -> Int? {
        guard let node = members[key] else { return nil }
        switch node {
        case .integer(let n) where n >= 0: return n
        case .string(let s):
            guard let n = IntegerText.sizeOrAddress(s), n >= 0 else { throw error(key, "'\(s)' is not an address or size") }
            return n
        default: throw error(key, "must be an address like \"0x12000\", not \(node.typeName)")
        }
    }

    func array(_ key: String) throws(RecipeError) -> [TOMLNode]? {
        guard let node = members[key] else { return nil }
        guard case .array(let a) = node else { throw error(key, "must be an array, not \(node.typeName)") }
        return a
    }

    func table(_ key: String) throws(RecipeError) -> TableReader? {
        guard let node = members[key] else { return nil }
        guard case .table(let t) = node else { throw error(key, "must be a table, not \(node.typeName)") }
        return TableReader(t, path: fullKey(key), file: file, lines: lines)
    }

    /// `partition = "NAME"`, or `offset` (and `size`).
    func placement() throws(RecipeError) -> Placement {
        let partition = try string("partition")
        let offset = try address("offset")
        switch (partition, offset) {
        case (let name?, nil): return .partition(name)
        case (nil, let offset?):
            guard offset % 0x1000 == 0 else { throw error("offset", "must start on a 4 KB sector (a multiple of 0x1000)") }
            return .offset(offset, size: try address("size"))
        case (_?, _?): throw error("offset", "give partition or offset, not both")
        case (nil, nil): throw error("", "needs partition = \"NAME\" or offset = \"0x…\"")
        }
    }
}
