import ArgumentParser
import ImageFormats

struct ImageInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image-info",
        abstract: "Show the header, segments, checksum, SHA-256 and app/bootloader description of a firmware image.",
        discussion: EsptoolSpelling.discussion("image-info", """
            Reports what esptool 5.6.0 image-info reports, with the same text layout (without esptool's version \
            banner), for every chip esptool knows: ESP32-family images (ESP32, S2, S3, C2, C3, C5, C6, C61, E22, H2, \
            H21, H4, P4, S31) and ESP8266 images (version 1, 0xE9, and version 2, 0xEA). The chip is guessed from the \
            header as esptool guesses it. A file that is not an image (the message names what it looks like), or is \
            truncated, is an error (exit 2). --offset/--partition read one image out of a whole flash image.

            Examples:
              espflash-swift image-info build/bootloader/bootloader.bin
              espflash-swift image-info build/esp-at.bin --json
              espflash-swift image-info factory_WROOM-32.bin --offset 0x1000
              espflash-swift image-info factory_WROOM-32.bin --partition ota_0
              espflash-swift --chip esp32 image-info build/bootloader/bootloader.bin
            """)
    )

    @Argument(help: "Application or bootloader image (.bin), or a whole flash image with --offset/--partition.")
    var file: String

    @OptionGroup var region: RegionOptions

    @Flag(name: .customLong("json"), help: "Print the facts as one JSON document.")
    var json = false

    @Option(name: [.short, .long], help: "The chip the image should be for (esptool's global --chip); a different one is a warning.")
    var chip: String?

    func run() throws {
        try reportingFailures {
            let (info, name) = try InputFile.decode(file, region: region, with: ImageInfo.init(inspecting:))
            Console.warnings(info.warnings, file: name)
            if let chip, let expected = Chip.named(chip), expected != info.chip {
                Console.warning("\(name) is an \(info.chip.displayName) image, not an \(expected.displayName) one (--chip \(expected.name))")
            }
            if json { Console.out(Self.json(info)) } else { Console.out(info.text) }
        }
    }

    static func json(_ info: ImageInfo) -> JSONValue {
        let image = info.image, chip = info.chip
        let header: JSONValue = .object([
            ("magic", .int(image.version == 2 ? Int(FirmwareImage.esp8266V2Magic) : Int(FirmwareImage.magic))),
            ("segment_count", .int(Int(image.segmentCount))),
            ("entry_point", .int(Int(image.entryPoint))),
            ("flash_mode", .optional(FlashMode(headerCode: image.flashMode)?.rawValue)),
            ("flash_mode_code", .int(Int(image.flashMode))),
            ("flash_size", .optional(chip.flashSizeName(image.flashSizeCode))),
            ("flash_size_code", .int(Int(image.flashSizeCode >> 4))),
            ("flash_freq", .optional(chip.flashFrequencyName(image.flashFrequencyCode))),
            ("flash_freq_code", .int(Int(image.flashFrequencyCode))),
        ])
        var extended: JSONValue = .null
        if let ext = image.extendedHeader {
            let d = ext.driveSettings
            extended = .object([
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
        }
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
            ("image_version", .int(image.version)),
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
