import ArgumentParser
import ImageFormats

struct BLEServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ble-service",
        abstract: "Build or inspect the AT firmware's ble_data.bin (GATT services for AT+BLEGATTSSRVCRE).",
        discussion: EsptoolSpelling.discussion("ble-service", """
            ble_data.bin is a 16-bit length, the magic 27 95 and a JSON text (esp-at v1.0 - v3.0). Output bytes are \
            identical to esp-at's BLEService.py (final Python 3 version).

            Examples:
              espflash-swift ble-service build ble_services.csv -o ble_data.bin
              espflash-swift ble-service build ble_services.csv -o ble_data.bin --partition-size 24K
              espflash-swift ble-service inspect ble_data.bin --json
            """),
        subcommands: [Build.self, Inspect.self]
    )

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Convert a service CSV to ble_data.bin.",
            discussion: """
                The CSV header is index,uuid_len,uuid,perm,val_max_len,val_cur_len,value. uuid and perm are hex (with or \
                without 0x), value is hex bytes, the other columns decimal; val_max_len defaults to 512, val_cur_len to 0. \
                Refused, because the firmware cannot use it or BLEService.py silently gets it wrong: a uuid wider than \
                uuid_len, uuid_len other than 16/32/128, undefined perm bits, a value longer than val_max_len, val_cur_len \
                above val_max_len or above the value's length, indexes not numbered 0, 1, 2, ..., rows after an all-empty \
                row, and a result larger than the partition. Accepted with a warning naming the row (the firmware takes \
                it): val_cur_len missing or shorter than the value (the firmware uses that many bytes), an odd number of \
                hex digits, 128-bit UUIDs with leading zero bytes. --strict turns the warnings into errors.

                Examples:
                  espflash-swift ble-service build ble_services.csv -o ble_data.bin
                  espflash-swift ble-service build gatt.csv -o ble_data.bin --partition-size 0x6000
                  espflash-swift ble-service build gatt.csv -o ble_data.bin --strict
                """
        )

        @Argument(help: "Service CSV file.")
        var input: String

        @Option(name: [.short, .customLong("output")], help: "Output ble_data.bin.")
        var output: String

        @Option(name: .customLong("partition-size"), help: "Size of the ble_data partition (ESP32: 12K).")
        var partitionSize: FlashNumber = FlashNumber(argument: "12K")!

        @Flag(help: "Treat warnings as errors: refuse the table, write nothing.")
        var strict = false

        func run() throws {
            try reportingFailures {
                let parsed = try InputFile.parseText(input, with: BLEServiceTable.parseCSV)
                if strict, !parsed.warnings.isEmpty {
                    for w in parsed.warnings { Console.error(CommandFailure.located(w.message, w.location, file: input)) }
                    Console.help("--strict turns warnings into errors; fix the rows named above or build without --strict")
                    throw ExitCode(ExitStatus.badInput)
                }
                Console.warnings(parsed.warnings, file: input)
                let binary = try InputFile.checking(input) { () throws(FormatError) in
                    try parsed.table.encoded(partitionSize: partitionSize.value)
                }
                try FileIO.writeAtomically(binary, to: output)
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "Print the services in a ble_data.bin as a table or JSON.",
            discussion: """
                Checks the magic 27 95 and that the length field matches the file (trailing FF from a partition read \
                back from flash is allowed). Problems the firmware may trip over are printed as warnings.

                Examples:
                  espflash-swift ble-service inspect ble_data.bin
                  espflash-swift ble-service inspect ble_data.bin --json
                  espflash-swift ble-service inspect factory_WROOM-32.bin --partition ble_data
                """
        )

        @Argument(help: "ble_data.bin file, or a whole flash image with --offset/--partition.")
        var input: String

        @OptionGroup var region: RegionOptions

        @Flag(name: .customLong("json"), help: "Print one JSON document.")
        var json = false

        func run() throws {
            try reportingFailures {
                let (decoded, input) = try InputFile.decode(input, region: region, with: BLEServiceTable.decode)
                Console.warnings(decoded.warnings, file: input)
                if json {
                    Console.out(Self.json(decoded))
                } else {
                    Console.out(Self.text(decoded, file: input))
                }
            }
        }

        static func json(_ decoded: BLEServiceTable.Decoded) -> JSONValue {
            let attributes = decoded.table.attributes.map { a -> JSONValue in
                .object([
                    ("index", .int(a.index)), ("uuid_len", .int(a.uuidLength)), ("uuid", .string(a.uuid)),
                    ("perm", .int(a.permissions)),
                    ("perm_names", .array(BLEServiceTable.permissionNames.filter { a.permissions & $0.bit != 0 }.map { .string($0.name) })),
                    ("val_max_len", .int(a.maxLength)), ("val_cur_len", .int(a.currentLength)), ("value", .string(a.value)),
                ])
            }
            return .object([
                ("format", .string("ble_data")),
                ("json_length", .int(decoded.jsonLength)),
                ("trailing_erased_bytes", .int(decoded.trailingErasedBytes)),
                ("attributes", .array(attributes)),
                ("warnings", .array(decoded.warnings.map { .string($0.message) })),
            ])
        }

        static func text(_ decoded: BLEServiceTable.Decoded, file: String) -> String {
            let attributes = decoded.table.attributes
            var out = "\(file): ble_data, \(attributes.count) attribute(s), JSON \(decoded.jsonLength) bytes\n"
            let rows = [["index", "uuid_len", "uuid", "perm", "val_max_len", "val_cur_len", "value"]] + attributes.map { a in
                [String(a.index), String(a.uuidLength), a.uuid, "0x" + String(a.permissions, radix: 16, uppercase: true),
                 String(a.maxLength), String(a.currentLength), a.value.count > 40 ? String(a.value.prefix(40)) + "…" : a.value]
            }
            let widths = (0..<7).map { c in rows.map { $0[c].count }.max() ?? 0 }
            for row in rows {
                out += zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                    .trimmingWhitespace() + "\n"
            }
            return out
        }
    }
}
