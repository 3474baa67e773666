import ArgumentParser
import ImageFormats

struct ImageInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image-info",
        abstract: "Show the header, segments, checksum, SHA-256 and app/bootloader description of a firmware image.",
        discussion: EsptoolSpelling.discussion("image-info", """
            Reports what esptool 5.6.0 image-info reports for ESP32-family application and bootloader images, with \
            the same text layout (without esptool's version banner). The chip is taken from the image header. \
            A file that is not an image, or is truncated, is an error (exit 2).

            Examples:
              espflash-swift image-info build/bootloader/bootloader.bin
              espflash-swift image-info build/esp-at.bin --json
              espflash-swift --chip esp32 image-info build/bootloader/bootloader.bin
            """)
    )

    @Argument(help: "Application or bootloader image (.bin).")
    var file: String

    @Flag(name: .customLong("json"), help: "Print the facts as one JSON document.")
    var json = false

    @Option(name: [.short, .long], help: "The chip the image should be for (esptool's global --chip); a different one is a warning.")
    var chip: ChipArgument?

    func run() throws {
        try reportingFailures {
            let info = try InputFile.decode(file, with: ImageInfo.init(inspecting:))
            Console.warnings(info.warnings, file: file)
            if let expected = chip?.chip, expected != info.chip {
                Console.warning("\(file) is an \(info.chip.displayName) image, not an \(expected.displayName) one (--chip \(expected.name))")
            }
            if json { Console.out(Self.json(info)) } else { Console.out(info.text) }
        }
    }

    static func json(_ info: ImageInfo) -> JSONValue {
        let image = info.image, ext = image.extendedHeader, chip = info.chip
        let d = ext.driveSettings
        let header: JSONValue = .object([
            ("magic", .int(Int(FirmwareImage.magic))),
            ("segment_count", .int(Int(image.segmentCount))),
            ("entry_point", .int(Int(image.entryPoint))),
            ("flash_mode", .optional(FlashMode(headerCode: image.flashMode)?.rawValue)),
            ("flash_mode_code", .int(Int(image.flashMode))),
            ("flash_size", .optional(FlashSize(headerCode: image.flashSizeCode)?.name)),
            ("flash_size_code", .int(Int(image.flashSizeCode >> 4))),
            ("flash_freq", .optional(chip.flashFrequencyName(image.flashFrequencyCode))),
            ("flash_freq_code", .int(Int(image.flashFrequencyCode))),
        ])
        let extended: JSONValue = .object([
            ("wp_pin", .int(Int(ext.wpPin))),
            ("wp_pin_disabled", .bool(ext.wpPin == FirmwareImage.wpPinDisabled)),
            ("drive", .object(zip(["clk", "q", "d", "cs0", "hd", "wp"], d).map { ($0, .int(Int($1))) })),
            ("chip_id", .int(Int(ext.chipID))),
            ("chip_id_name", .string(ImageInfo.chipName(forID: ext.chipID))),
            ("min_revision", .string(ImageInfo.revision(ext.minRevisionFull))),
            ("min_revision_full", .int(Int(ext.minRevisionFull))),
            ("legacy_min_revision", .int(Int(ext.minRevision))),
            ("max_revision", .string(ImageInfo.revision(ext.maxRevisionFull))),
            ("max_revision_full", .int(Int(ext.maxRevisionFull))),
            ("hash_appended", .bool(ext.hashAppended)),
        ])
        let segments = image.segments.enumerated().map { index, s -> JSONValue in
            .object([
                ("index", .int(index)),
                ("length", .int(s.data.count)),
                ("load_address", .int(Int(s.loadAddress))),
                ("file_offset", .int(s.fileOffset)),
                ("memory_types", .array(chip.memoryTypes(at: s.loadAddress).map(JSONValue.string))),
            ])
        }
        let checksum: JSONValue = .object([
            ("stored", .int(Int(image.storedChecksum))),
            ("computed", .int(Int(image.computedChecksum))),
            ("valid", .bool(image.checksumIsValid)),
        ])
        var sha: JSONValue = .null
        if let computed = image.computedDigest, let stored = image.storedDigest {
            sha = .object([
                ("computed", .string(computed.hexString)),
                ("stored", .string(stored.hexString)),
                ("valid", .bool(image.digestIsValid == true)),
            ])
        }
        var app: JSONValue = .null
        if let a = info.app {
            app = .object([
                ("project_name", .string(a.projectName)),
                ("version", .string(a.version)),
                ("compile_date", .string(a.compileDate)),
                ("compile_time", .string(a.compileTime)),
                ("idf_version", .string(a.idfVersion)),
                ("elf_sha256", .string(a.elfSHA256.hexString)),
                ("secure_version", .int(Int(a.secureVersion))),
                ("min_efuse_block_revision", .string("\(a.minEfuseBlockRevision / 100).\(a.minEfuseBlockRevision % 100)")),
                ("max_efuse_block_revision", .string("\(a.maxEfuseBlockRevision / 100).\(a.maxEfuseBlockRevision % 100)")),
                ("mmu_page_size", .optional(a.mmuPageSize)),
            ])
        }
        var bootloader: JSONValue = .null
        if let b = info.bootloader {
            bootloader = .object([
                ("version", .int(Int(b.version))),
                ("idf_version", .string(b.idfVersion)),
                ("compile_time", .string(b.dateTime)),
            ])
        }
        return .object([
            ("size", .int(info.size)),
            ("chip", .string(chip.name)),
            ("chip_name", .string(chip.displayName)),
            ("image_version", .int(1)),
            ("header", header),
            ("extended_header", extended),
            ("segments", .array(segments)),
            ("data_length", .int(image.dataLength)),
            ("checksum", checksum),
            ("sha256", sha),
            ("app_description", app),
            ("bootloader_description", bootloader),
            ("warnings", .array(info.warnings.map { .string($0.message) })),
        ])
    }
}
