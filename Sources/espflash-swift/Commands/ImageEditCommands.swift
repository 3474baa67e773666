import ArgumentParser
import ImageFormats

extension FactoryParamCommand {
    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change module parameters inside a whole flash image (or a factory_param.bin), in place.",
            discussion: """
                esp-at's at.py modify_bin, without its silent failures. The partition tables are found in the image \
                (the main table at 0x8000, or the first at a 4 KB boundary, and at_customize.bin through its entry), \
                then the parameters: the raw factory_param partition of esp-at v1.1.3 - v3.0 (layout from --types, \
                else from its version byte) or namespace factory_param of the mfg_nvs NVS partition of esp-at v3.1+ \
                (entries rewritten where they are: an integer keeps its type, a string its number of entries). Only the \
                fields given change. Integers are decimal or 0x hex, -1 means unused (all FF); strings must fit their \
                field. magic_flag and version are never changed. The result is checked before it is written: no byte \
                outside the fields changed, the tables are the same, every MD5, checksum and SHA-256 in the image is \
                still valid. The file is replaced atomically (in place without -o); on any error nothing is written.

                Examples:
                  espflash-swift factory-param set factory_WROOM-32.bin uart_tx_pin=17 uart_rx_pin=16 uart_baudrate=921600
                  espflash-swift factory-param set factory.bin --types factory_param_type.csv country_code=US -o factory_us.bin
                  espflash-swift factory-param set factory_param.bin tx_max_power=60
                """
        )

        @Argument(help: "Whole flash image (byte 0 = flash address 0), or a 4096-byte factory_param.bin.")
        var image: String

        @Argument(help: "FIELD=VALUE, one or more.")
        var assignments: [String]

        @Option(help: "factory_param_type.csv to read the raw layout with (default: the built-in layout of the version byte).")
        var types: String?

        @Option(help: "The partition to edit (default: factory_param, else mfg_nvs).")
        var partition: String?

        @Option(name: .customLong("table-offset"), help: "Where the main partition table is (default: 0x8000, else found by scanning).")
        var tableOffset: FlashNumber?

        @Option(name: [.short, .customLong("output")], help: "Write the result here instead of replacing IMAGE.")
        var output: String?

        @Flag(name: .customLong("json"), help: "Print what changed as one JSON document.")
        var json = false

        func validate() throws {
            for a in assignments where FactoryParamEditor.Assignment(parsing: a) == nil {
                throw ValidationError("'\(a)' is not FIELD=VALUE")
            }
        }

        func run() throws {
            try reportingFailures {
                let layout = try types.map { try InputFile.parseText($0, with: FactoryParamLayout.parseTypeCSV) }
                let before = try FileIO.read(image)
                let edit = try InputFile.checking(image) { () throws(FormatError) in
                    try FactoryParamEditor.apply(assignments.compactMap(FactoryParamEditor.Assignment.init(parsing:)), to: before,
                                                 types: layout, partition: partition, tableOffset: tableOffset?.value)
                }
                Console.warnings(edit.warnings, file: image)
                let values = (try? FactoryParamEditor.values(in: before, source: edit.reread), try? FactoryParamEditor.values(in: edit.image, source: edit.reread))
                var problems = FlashEditCheck.problems(before: before, after: edit.image, allowed: edit.changes.map(\.bytes),
                                                       tableOffset: tableOffset?.value)
                if let old = values.0, let new = values.1 {
                    let untouched = Swift.Set(old.keys).subtracting(edit.changes.map(\.field))
                    problems += untouched.sorted().filter { old[$0] != new[$0] }.map { "field '\($0)' changed although it was not given" }
                } else if before.count > FactoryParamLayout.imageSize || values.1 == nil {
                    problems.append("the parameters cannot be read back from the result")
                }
                try ImageEditOutput.write(edit.image, before: before, problems: problems, image: image, output: output)
                let changed = zip(before, edit.image).reduce(0) { $0 + ($1.0 != $1.1 ? 1 : 0) }
                let newValues = values.1 ?? [:]
                if json {
                    Console.out(JSONValue.object([
                        ("location", .string(edit.location)), ("output", .string(output ?? image)), ("bytes_changed", .int(changed)),
                        ("changes", .array(edit.changes.map { c in .object([
                            ("field", .string(c.field)), ("offset", .int(c.bytes.lowerBound)), ("old", .string(c.old)),
                            ("new", .string(newValues[c.field] ?? c.new)),
                        ]) })),
                    ]))
                } else {
                    var text = "\(edit.location):\n"
                    for c in edit.changes { text += "  \(c.field): \(c.old) -> \(newValues[c.field] ?? c.new)   (0x\(String(c.bytes.lowerBound, radix: 16)))\n" }
                    text += "\(changed) byte(s) changed; the result was checked and written to \(output ?? image)\n"
                    Console.out(text)
                }
            }
        }
    }
}

extension ImageCommand {
    struct Replace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replace",
            abstract: "Put FILE into partition PARTITION of a whole flash image, found by name in its partition tables.",
            discussion: """
                The partition tables are found in the image (the main table at 0x8000, or the first at a 4 KB boundary, \
                and esp-at's at_customize.bin through its entry); PARTITION is looked up by name in both. The partition \
                becomes FILE followed by 0xFF up to its size, as if erased and written; nothing else changes. Refused: a \
                file larger than the partition, a partition past the end of the image, a name in no table (or in two), \
                and a file the firmware would not take for that partition (an app that is no image, an NVS partition \
                that is no NVS image, factory_param without FC FC, ble_data without 27 95, a PKI bin without F1 F1, a \
                table without AA 50; --force puts it there anyway). The result is checked before it is written (no byte \
                outside the partition changed, the tables are the same, every MD5, checksum and SHA-256 is still valid) \
                and written atomically (in place without -o); on any error nothing is written.

                Examples:
                  espflash-swift image replace factory_WROOM-32.bin ble_data ble_data.bin
                  espflash-swift image replace factory_WROOM-32.bin server_cert server_cert.bin -o factory_new_cert.bin
                  espflash-swift image replace factory.bin mfg_nvs mfg_nvs.bin
                """
        )

        @Argument(help: "Whole flash image (byte 0 = flash address 0).")
        var image: String

        @Argument(help: "Partition name (in the main table or in at_customize).")
        var partition: String

        @Argument(help: "The new contents of the partition.")
        var file: String

        @Option(name: .customLong("table-offset"), help: "Where the main partition table is (default: 0x8000, else found by scanning).")
        var tableOffset: FlashNumber?

        @Flag(help: "Skip the check that FILE is what the partition holds (the size limit stays).")
        var force = false

        @Option(name: [.short, .customLong("output")], help: "Write the result here instead of replacing IMAGE.")
        var output: String?

        func run() throws {
            try reportingFailures {
                let before = try FileIO.read(image)
                let content = try FileIO.read(file)
                let result: PartitionReplacement.Result
                do throws(FormatError) {
                    result = try PartitionReplacement.apply(content, to: partition, in: before, tableOffset: tableOffset?.value, checkContent: !force)
                } catch {
                    // A file too large for the partition, or not what it holds, is the file's fault.
                    let aboutFile = ["image.too_large", "image.wrong_content"].contains(error.code.rawValue)
                    throw CommandFailure.input(error, file: aboutFile ? file : image)
                }
                let problems = FlashEditCheck.problems(before: before, after: result.image, allowed: [result.partition.range],
                                                       tableOffset: tableOffset?.value)
                try ImageEditOutput.write(result.image, before: before, problems: problems, image: image, output: output)
                let range = result.partition.range
                Console.out("\(partition) (0x\(String(range.lowerBound, radix: 16))-0x\(String(range.upperBound, radix: 16)), listed in "
                            + "\(result.partition.table)): \(result.fileSize) bytes from \(file), \(range.count - result.fileSize) bytes of 0xFF; "
                            + "checked and written to \(output ?? image)\n")
            }
        }
    }
}

/// Writing an edited image: refused (exit 1, nothing written) when the check after the edit found a problem.
enum ImageEditOutput {
    static func write(_ bytes: [UInt8], before: [UInt8], problems: [String], image: String, output: String?) throws {
        guard problems.isEmpty else {
            throw CommandFailure(exitCode: ExitStatus.operationFailed,
                                 message: "\(image): the edited image failed its check, so nothing was written: " + problems.joined(separator: "; "))
        }
        try FileIO.writeAtomically(bytes, to: output ?? image)
    }
}
