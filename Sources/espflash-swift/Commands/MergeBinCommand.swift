import ArgumentParser
import ImageFormats

struct MergeBinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-bin",
        abstract: "Merge ADDR FILE pairs into one factory image (raw, Intel HEX or UF2), like esptool merge-bin.",
        discussion: EsptoolSpelling.discussion("merge-bin", """
            Output bytes are identical to esptool 5.6.0 merge-bin. Gaps are filled with 0xFF (raw). -fm/-ff/-fs patch \
            the bootloader header at the chip's bootloader offset (0x1000 on ESP32/S2, 0x2000 on C5, 0 otherwise) and \
            recompute its appended SHA-256. Files sharing a 4 KiB sector are refused, naming both files. Unlike \
            esptool, content that ends past --pad-to-size is refused instead of silently making the file bigger.
            --config reads an esp-at download.config, an ESP-IDF flash_project_args/flash_args or flasher_args.json; \
            paths in it are relative to its folder, and options given here override its flash settings.
            --layout TABLE (repeatable; binary or CSV partition table, e.g. partitions.bin and at_customize.bin) \
            checks that every file lies inside a partition and fits it, and prints where each file lands.

            Examples:
              espflash-swift merge-bin --chip esp32 -o factory_WROOM-32.bin --pad-to-size 4MB --config build/flash_project_args
              espflash-swift merge-bin --chip esp32c3 -o merged.bin -fm dio -ff 80m -fs 4MB 0x0 bootloader.bin 0x8000 partitions.bin 0x10000 app.bin
              espflash-swift merge-bin --chip esp32 -o merged.uf2 --format uf2 0x1000 bootloader.bin 0x10000 app.bin
              espflash-swift merge-bin --chip esp32 -o factory.bin --config download.config --layout partitions.bin --layout at_customize.bin
            """)
    )

    @Option(name: [.short, .long], help: "Output file.")
    var output: String

    @Option(name: [.short, .long], help: "Output format: raw, hex or uf2.")
    var format: Format = .raw

    @Option(name: [.customLong("pad-to-size"), .customLong("fill-flash-size")], help: "Pad raw output with 0xFF up to this flash size (e.g. 4MB).")
    var padToSize: FlashNumber?

    @Option(name: [.customShort("t"), .customLong("target-offset")], help: "Flash address of the output's first byte (raw).")
    var targetOffset: FlashNumber = FlashNumber(argument: "0")!

    @Option(name: [.short, .long], help: "Target chip: \(Chip.all.map(\.name).joined(separator: ", ")).")
    var chip: String?

    @Option(name: [.customLong("fm", withSingleDash: true), .customLong("flash-mode"), .customLong("flash_mode")],
            help: "Flash mode written into the bootloader header: qio, qout, dio, dout or keep.")
    var flashMode: String?

    @Option(name: [.customLong("ff", withSingleDash: true), .customLong("flash-freq"), .customLong("flash_freq")],
            help: "Flash frequency for the bootloader header (80m, 40m, 26m, 20m, ... per chip) or keep.")
    var flashFreq: String?

    @Option(name: [.customLong("fs", withSingleDash: true), .customLong("flash-size"), .customLong("flash_size")],
            help: "Flash size for the bootloader header (1MB … 128MB) or keep.")
    var flashSize: String?

    @Option(help: "download.config, flash_project_args, flash_args or flasher_args.json to take pairs and flash settings from.")
    var config: String?

    @Option(help: "Partition table (binary or CSV) every input must fit into; repeatable.")
    var layout: [String] = []

    @Option(name: .customLong("chunk-size"), help: "UF2 payload bytes per 512-byte block (default: as many as fit).")
    var chunkSize: Int?

    @Flag(name: .customLong("md5-disable"), help: "Leave the MD5 part out of UF2 blocks.")
    var md5Disable = false

    @Argument(help: ArgumentHelp("Pairs of flash address and file.", valueName: "ADDR FILE"))
    var pairs: [String] = []

    enum Format: String, ExpressibleByArgument, CaseIterable { case raw, hex, uf2 }

    func validate() throws {
        guard pairs.count % 2 == 0 else { throw ValidationError("Must be pairs of an address and the binary filename to write there.") }
        for i in stride(from: 0, to: pairs.count, by: 2) where IntegerText.sizeOrAddress(pairs[i]) == nil {
            throw ValidationError("Address \"\(pairs[i])\" must be a number.")
        }
        if pairs.isEmpty && config == nil { throw ValidationError("give ADDR FILE pairs or --config FILE") }
        try Self.checkChoice(flashMode, FlashMode.allCases.map(\.rawValue), "--flash-mode")
        try Self.checkChoice(flashFreq, FlashFrequency.choices.map(\.name), "--flash-freq")
        try Self.checkChoice(flashSize, FlashSize.choices, "--flash-size")
        if let chip, Chip.named(chip) == nil {
            throw ValidationError("Invalid chip choice: '\(chip)' (choose from \(Chip.all.map(\.name).joined(separator: ", ")))")
        }
    }

    static func checkChoice(_ value: String?, _ choices: [String], _ option: String) throws {
        if let value, value != "keep", !choices.contains(value) {
            throw ValidationError("invalid value '\(value)' for \(option) (choose from keep, \(choices.joined(separator: ", ")))")
        }
    }

    func run() throws {
        try reportingFailures {
            var inputs: [MergeInput] = []
            var flash = FlashSettings()
            var chipName = chip
            /// Where each file named in --config is listed, so that errors about it point there.
            var listedAt: [String: String] = [:]
            if let config {
                let input = try FlashConfigInput(config)
                if let location = input.file.detectSizeLocation {
                    Console.warnings([FormatWarning("--flash_size detect needs a connected chip; the bootloader's size is kept", at: location)],
                                     file: config)
                }
                if input.file.entries.isEmpty && pairs.isEmpty {
                    throw CommandFailure(exitCode: ExitStatus.badInput, message: "\(config): lists no ADDR FILE pairs to merge")
                }
                flash = input.file.flash
                if chipName == nil { chipName = input.file.chip }
                for (entry, pair) in zip(input.file.entries, input.pairs) {
                    listedAt[entry.path] = input.place(of: entry)
                    inputs.append(MergeInput(address: pair.address, name: entry.path, bytes: try input.read(pair.path, listedIn: entry)))
                }
            }
            for i in stride(from: 0, to: pairs.count, by: 2) {
                inputs.append(MergeInput(address: IntegerText.sizeOrAddress(pairs[i])!, name: pairs[i + 1], bytes: try FileIO.read(pairs[i + 1])))
            }
            if let flashMode { flash.mode = FlashMode(name: flashMode) }  // keep: nil
            if let flashFreq { flash.frequency = FlashFrequency(name: flashFreq) }
            if let flashSize { flash.size = FlashSize(name: flashSize) }
            guard let chipName else {
                throw CommandFailure.usage("Specify the --chip argument (choose from \(Chip.all.map(\.name).joined(separator: ", "))).")
            }
            guard let target = Chip.named(chipName) else {
                throw CommandFailure.usage("Invalid chip choice: '\(chipName)' (choose from \(Chip.all.map(\.name).joined(separator: ", "))).")
            }

            var options = MergeOptions(chip: target)
            options.format = MergeFormat(rawValue: format.rawValue)!
            options.targetOffset = targetOffset.value
            options.padToSize = padToSize?.value
            options.flash = flash
            options.uf2ChunkSize = chunkSize
            options.uf2MD5 = !md5Disable

            if !layout.isEmpty {
                var tables: [PartitionTable] = []
                for path in layout {
                    tables.append(try InputFile.decode(path) { bytes throws(FormatError) in
                        try PartitionTable.load(bytes, options: PartitionTableOptions()).table
                    })
                }
                let assignments: [MergeLayout.Assignment]
                do throws(FormatError) { assignments = try MergeLayout.check(inputs, tables: tables, chip: target) } catch {
                    throw CommandFailure(exitCode: ExitStatus.badInput, message: error.message, help: error.help)
                }
                for a in assignments {
                    Console.out("\(a.name) at \(a.address.pythonHex) (\(a.length) bytes) -> \(a.region)"
                                + (a.partition.map { " [\(Int($0.offset).pythonHex), \(Int($0.size).pythonHex) bytes, \(a.free ?? 0) free]" } ?? "") + "\n")
                }
            }

            let result: MergeResult
            do throws(FormatError) { result = try FirmwareMerger.merge(inputs, options: options) } catch {
                let place = error.location.field.flatMap { listedAt[$0] }.map { $0 + ": " } ?? ""
                throw CommandFailure(exitCode: ExitStatus.badInput, message: place + error.message, help: error.help)
            }
            for p in result.placements {
                switch p.patch {
                case .notApplicable: break
                case .notAnImage(let why): Console.warning(why)
                case .patched(let parameters, let changed, let digest):
                    if changed { Console.out("Flash parameters set to 0x\(String(repeating: "0", count: max(0, 4 - String(parameters, radix: 16).count)) + String(parameters, radix: 16)) in \(p.name).\n") }
                    if digest { Console.out("SHA digest in image updated.\n") }
                }
            }
            try FileIO.writeAtomically(length: result.length, fill: MergeResult.fill,
                                       segments: result.segments.map { ($0.offset, $0.bytes) }, to: output)
            Console.out("Wrote \(result.length.pythonHex) bytes to file '\(output)', ready to flash to offset \(options.targetOffset.pythonHex).\n")
        }
    }
}
