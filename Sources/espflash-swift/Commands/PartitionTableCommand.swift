import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ImageFormats

struct PartitionTableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partition-table",
        abstract: "Convert a partition table between CSV and binary (gen_esp32part.py compatible).",
        discussion: EsptoolSpelling.discussion("partition-table", """
            INPUT is a CSV (converted to the 0xC00-byte binary table) or a binary table (converted to CSV); a file \
            starting with AA 50 is binary. at_customize.csv of the AT firmware is an ordinary table with type 0x40 rows. \
            INPUT may also be a whole flash image: --offset ADDR reads the table at ADDR, --partition NAME the table in \
            that partition (esp-at's at_customize).
            Output bytes are identical to ESP-IDF v5.5 gen_esp32part.py. Unlike it, names longer than 16 bytes and \
            types or subtypes above 255 are refused instead of being truncated or crashing.

            Examples:
              espflash-swift partition-table at_customize.csv -o at_customize.bin
              espflash-swift partition-table partitions.csv -o partitions.bin --disable-md5sum --flash-size 4MB
              espflash-swift partition-table at_customize.bin
              espflash-swift partition-table partitions.bin --json
              espflash-swift partition-table factory_WROOM-32.bin --offset 0x8000
              espflash-swift partition-table factory_WROOM-32.bin --partition at_customize --json
            """)
    )

    @Argument(help: "CSV or binary partition table.")
    var input: String

    @Option(name: [.short, .customLong("output")], help: "Output file (required for binary output; CSV goes to stdout without it).")
    var output: String?

    @Option(help: "Flash offset of the partition table (default 0x8000); in a whole flash image, also where it is read.")
    var offset: FlashNumber?

    @Option(name: .customLong("partition"), help: "In a whole flash image, read the table stored in this partition (at_customize).")
    var partition: String?

    @Option(name: .customLong("flash-size"), help: "Check that the table fits this flash size (1MB…128MB).")
    var flashSize: FlashNumber?

    @Flag(name: .customLong("disable-md5sum"), help: "Do not write (or check) the MD5 record.")
    var disableMD5 = false

    @Flag(name: .customLong("no-verify"), help: "Skip the field and layout checks.")
    var noVerify = false

    @Option(name: .customLong("primary-bootloader-offset"), help: "Offset of the primary bootloader (for bootloader rows).")
    var primaryBootloaderOffset: FlashNumber?

    @Option(name: .customLong("recovery-bootloader-offset"), help: "Offset of the recovery bootloader.")
    var recoveryBootloaderOffset: FlashNumber?

    @Option(help: "Require app partitions to suit secure boot v1 (64 KB sizes) or v2.")
    var secure: SecureBootVersion?

    @Option(name: .customLong("extra-partition-subtypes"), parsing: .upToNextOption,
            help: "Extra subtype keywords, each 'TYPE,NAME,0xHH'.")
    var extraSubtypes: [String] = []

    @Flag(name: .customLong("json"), help: "Print the parsed table as JSON.")
    var json = false

    @Flag(name: [.short, .long], help: "Accepted for gen_esp32part compatibility; status lines are never printed.")
    var quiet = false

    func validate() throws {
        if offset != nil && partition != nil { throw ValidationError("give --offset or --partition, not both") }
        if let size = flashSize?.value, size <= 0 || size % (1024 * 1024) != 0 {
            throw ValidationError("--flash-size must be a whole number of megabytes, like 4MB")
        }
    }

    func run() throws {
        try reportingFailures {
            var options = PartitionTableOptions()
            options.tableOffset = offset?.value ?? FlashLayout.defaultTableOffset
            options.md5 = !disableMD5
            options.verify = !noVerify
            options.flashSize = flashSize?.value
            options.primaryBootloaderOffset = primaryBootloaderOffset?.value
            options.recoveryBootloaderOffset = recoveryBootloaderOffset?.value
            options.secure = secure
            options.variables = ProcessInfo.processInfo.environment
            for spec in extraSubtypes {
                do throws(FormatError) { try options.keywords.addExtraSubtype(spec) } catch { throw CommandFailure.usage(error.message, help: error.help) }
            }

            var bytes = try FileIO.read(input)
            var name = input
            if let table = try tableInFlashImage(bytes) {
                (bytes, name) = (table.bytes, "\(input) (\(table.description))")
                options.tableOffset = table.offset
            } else if partition != nil {
                throw CommandFailure.usage("--partition reads a table out of a whole flash image; \(input) is itself a table or a CSV")
            }
            let source = bytes
            let loaded = try InputFile.checking(name) { () throws(FormatError) in try PartitionTable.load(source, options: options) }
            Console.warnings(loaded.warnings, file: name)

            if loaded.wasBinary {
                let text = { () throws in
                    try InputFile.checking(name) { () throws(FormatError) in try loaded.table.csv(keywords: options.keywords) }
                }
                if let output, output != "-" {
                    try FileIO.writeAtomically(Array(try text().utf8), to: output)
                } else if !json {
                    Console.out(try text())
                }
            } else {
                let binary = try InputFile.checking(input) { () throws(FormatError) in try loaded.table.encoded(md5: options.md5) }
                if let output {
                    try FileIO.writeAtomically(binary, to: output)
                } else if !json {
                    throw CommandFailure.usage("converting CSV to a binary table needs -o OUTPUT",
                                               help: "espflash-swift partition-table \(input) -o partitions.bin")
                }
            }
            if json { Console.out(Self.json(loaded, keywords: options.keywords)) }
        }
    }

    /// The table bytes when INPUT is a whole flash image (neither a binary table nor text) and --offset or
    /// --partition says where the table is; nil otherwise (INPUT is read as gen_esp32part reads it).
    func tableInFlashImage(_ bytes: [UInt8]) throws -> (bytes: [UInt8], offset: Int, description: String)? {
        guard !PartitionTable.isBinary(bytes), offset != nil || partition != nil, String(validating: bytes, as: UTF8.self) == nil else { return nil }
        return try InputFile.checking(input) { () throws(FormatError) -> (bytes: [UInt8], offset: Int, description: String) in
            let at: Int
            let description: String
            if let partition {
                at = Int(try FlashLayout.locate(in: bytes).partition(named: partition).entry.offset)
                description = "partition '\(partition)' at 0x\(String(at, radix: 16))"
            } else {
                at = offset!.value
                description = "0x\(String(at, radix: 16))"
            }
            guard at >= 0, at + 2 <= bytes.count, PartitionTable.isBinary(Array(bytes[at..<(at + 2)])) else {
                throw FormatError("partition_table.not_here", "there is no partition table (AA 50) at 0x\(String(at, radix: 16))",
                                  at: SourceLocation(byteOffset: at))
            }
            return (Array(bytes[at..<min(bytes.count, at + FlashLayout.tableLength)]), at, description)
        }
    }

    static func json(_ loaded: PartitionTable.Loaded, keywords: PartitionKeywords) -> JSONValue {
        let entries = loaded.table.entries.map { e -> JSONValue in
            let type = Int(e.type)
            return .object([
                ("name", .string(e.name)),
                ("type", .int(type)),
                ("type_name", .optional(keywords.typeName(type))),
                ("subtype", .int(Int(e.subtype))),
                ("subtype_name", .optional(keywords.subtypeName(Int(e.subtype), type: type))),
                ("offset", .int(Int(e.offset))),
                ("size", .int(Int(e.size))),
                ("flags", .array(e.flags.names.map(JSONValue.string))),
            ])
        }
        let md5: JSONValue = .object([
            ("present", .bool(loaded.md5 != .absent)),
            ("valid", loaded.md5 == .valid ? .bool(true) : .null),
        ])
        return .object([
            ("format", .string(loaded.wasBinary ? "binary" : "csv")),
            ("md5", md5),
            ("entries", .array(entries)),
            ("warnings", .array(loaded.warnings.map { .string($0.message) })),
        ])
    }
}
