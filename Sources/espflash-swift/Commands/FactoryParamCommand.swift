import ArgumentParser
import ImageFormats

struct FactoryParamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "factory-param",
        abstract: "Build or inspect the AT firmware's factory_param.bin (module pins, baud rate, TX power, country).",
        discussion: EsptoolSpelling.discussion("factory-param", """
            The 4096-byte factory_param partition of esp-at v1.1.3 - v3.0, layout versions 1 (v1.2), 2 (v2.1) and \
            3 (v2.2 - v3.0). Output bytes are identical to esp-at's factory_param_generate.py.

            Examples:
              espflash-swift factory-param build --types factory_param_type.csv --data factory_param_data.csv \\
                  --module WROOM-32 --platform PLATFORM_ESP32 -o factory_param.bin
              espflash-swift factory-param build --types factory_param_type.csv --data factory_param_data.csv --all -o out/
              espflash-swift factory-param inspect factory_param.bin --json
              espflash-swift factory-param set factory_WROOM-32.bin uart_tx_pin=17 uart_baudrate=921600
            """),
        subcommands: [Build.self, Inspect.self, Set.self]
    )

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Make factory_param.bin for one module row (or every row) of a data CSV.",
            discussion: """
                Rows are chosen by module_name (case-insensitive) and, with --platform, by platform (ESP32 also \
                selects PLATFORM_ESP32). A data CSV without a platform column is the v1.2 form (module name in column \
                0). Unlike factory_param_generate.py this refuses: no matching module (the original writes an all-0xFF \
                bin), more than one match, a value outside its field, a leading-zero number (the original reads 010 as \
                octal 8; --legacy-octal restores that), a string longer than its field, and columns of the type CSV \
                that overlap. --all writes DIR/factory_param_<MODULE>.bin for every row (of --platform, if given).

                Examples:
                  espflash-swift factory-param build --types types.csv --data data.csv --module WROOM-32 -o factory_param.bin
                  espflash-swift factory-param build --types types.csv --data data.csv --platform ESP32C3 --all -o out/
                """
        )

        @Option(help: "factory_param_type.csv (param_name,offset,type,size).")
        var types: String

        @Option(help: "factory_param_data.csv (one row per module).")
        var data: String

        @Option(help: "Module name (module_name column, or column 0 in the v1.2 form).")
        var module: String?

        @Option(help: "Platform (platform column), e.g. PLATFORM_ESP32 or ESP32.")
        var platform: String?

        @Flag(help: "Build every row; -o is then a folder.")
        var all = false

        @Option(name: [.short, .customLong("output")], help: "Output file, or folder with --all.")
        var output: String

        @Flag(name: .customLong("legacy-octal"), help: "Read numbers with a leading 0 as octal, as the original does.")
        var legacyOctal = false

        func validate() throws {
            if all == (module != nil) { throw ValidationError("give exactly one of --module NAME or --all") }
        }

        func run() throws {
            try reportingFailures {
                let (typeBytes, dataBytes) = (try FileIO.read(types, limit: InputLimits.text), try FileIO.read(data, limit: InputLimits.text))
                let layout = try InputFile.checking(types) { () throws(FormatError) in
                    try FactoryParamLayout.parseTypeCSV(try TextDecoding.decode(typeBytes))
                }
                let options = FactoryParamImage.Options(legacyOctal: legacyOctal)
                var outputs: [(path: String, bytes: [UInt8])] = []
                var warnings: [FormatWarning] = []
                do throws(FormatError) {
                    let table = try FactoryParamData.parse(try TextDecoding.decode(dataBytes))
                    let rows = try all ? table.rows(platform: platform) : [table.row(module: module!, platform: platform)]
                    var names: [String: Int] = [:]
                    for row in rows {
                        let built = try FactoryParamImage.build(row, data: table, layout: layout, options: options)
                        if warnings.isEmpty || !all { warnings += built.warnings }
                        if all {
                            guard !row.module.contains("/"), row.module != ".", row.module != ".." else {
                                throw FormatError("factory_param.bad_module", "module name '\(row.module)' cannot be a file name",
                                                  at: SourceLocation(line: row.line, field: "module_name"))
                            }
                            if let other = names[row.module.uppercased()] {
                                throw FormatError("factory_param.duplicate_module",
                                                  "module '\(row.module)' is also on line \(other); both would be factory_param_\(row.module).bin",
                                                  at: SourceLocation(line: row.line, field: "module_name"), help: "choose a platform with --platform")
                            }
                            names[row.module.uppercased()] = row.line
                            let path = PathText.join(output, "factory_param_\(row.module).bin")
                            outputs.append((path, built.bytes))
                        } else {
                            outputs.append((output, built.bytes))
                        }
                    }
                } catch {
                    throw CommandFailure.input(error, file: data)
                }
                Console.warnings(warnings, file: data)
                if all { try FileIO.createDirectory(output) }
                for out in outputs { try FileIO.writeAtomically(out.bytes, to: out.path) }
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Decode a factory_param.bin as text or JSON.",
            discussion: """
                Without --types the layout is chosen from the version byte (magic FC FC, version 1, 2 or 3). Pins, \
                uart_port and uart_baudrate are shown signed (-1 = unused, stored as FF).

                Examples:
                  espflash-swift factory-param inspect factory_param.bin
                  espflash-swift factory-param inspect factory_param.bin --types factory_param_type.csv --json
                  espflash-swift factory-param inspect factory_WROOM-32.bin --partition factory_param
                """
        )

        @Argument(help: "factory_param.bin file, or a whole flash image with --offset/--partition.")
        var input: String

        @OptionGroup var region: RegionOptions

        @Option(help: "Type CSV to decode with (instead of the built-in layout of the version byte).")
        var types: String?

        @Flag(name: .customLong("json"), help: "Print one JSON document.")
        var json = false

        func run() throws {
            try reportingFailures {
                let layout = try types.map { try InputFile.parseText($0, with: FactoryParamLayout.parseTypeCSV) }
                let (decoded, input) = try InputFile.decode(input, region: region, limit: FactoryParamLayout.imageSize) { bytes throws(FormatError) in
                    try FactoryParamImage.decode(bytes, layout: layout)
                }
                Console.warnings(decoded.warnings, file: input)
                if json {
                    Console.out(Self.json(decoded))
                } else {
                    Console.out(Self.text(decoded, file: input))
                }
            }
        }

        static func json(_ decoded: FactoryParamImage.Decoded) -> JSONValue {
            let fields = decoded.fields.map { f -> JSONValue in
                let value: JSONValue
                switch f.value {
                case .integer(let v): value = .int(v)
                case .string(let s, _): value = .string(s)
                }
                var members: [(String, JSONValue)] = [
                    ("name", .string(f.field.name)), ("offset", .int(f.field.offset)), ("size", .int(f.field.size)),
                    ("type", .string(f.field.kind.rawValue)), ("value", value), ("unset", .bool(f.isUnset)),
                    ("hex", .string(f.raw.hexString)),
                ]
                if case .integer = f.value { members.append(("unsigned", .int(f.unsigned))) }
                if case .string(_, let terminated) = f.value { members.append(("terminated", .bool(terminated))) }
                return .object(members)
            }
            return .object([
                ("format", .string("factory_param")), ("version", .int(decoded.version)),
                ("layout", .string(decoded.layoutFromTypes ? "types" : "built-in v\(decoded.version)")),
                ("fields", .array(fields)),
                ("warnings", .array(decoded.warnings.map { .string($0.message) })),
            ])
        }

        static func text(_ decoded: FactoryParamImage.Decoded, file: String) -> String {
            var out = "\(file): factory_param version \(decoded.version) (\(decoded.layoutFromTypes ? "layout from --types" : "built-in layout"))\n"
            let width = decoded.fields.map(\.field.name.count).max() ?? 0
            for f in decoded.fields {
                var shown: String
                switch f.value {
                case .integer(let v):
                    shown = f.field.name == "magic_flag" ? "0x" + String(v, radix: 16, uppercase: true) : String(v)
                    if f.isUnset { shown += " (unset)" }
                    if f.field.name == "tx_max_power", !f.isUnset { shown += " (\(Double(v) / 4) dBm)" }
                case .string(let s, let terminated):
                    shown = f.isUnset ? "(unset)" : "\"\(s)\"" + (terminated ? "" : " (no NUL)")
                }
                out += "  " + f.field.name + String(repeating: " ", count: width - f.field.name.count) + "  @\(f.field.offset)  \(shown)\n"
            }
            return out
        }
    }
}
