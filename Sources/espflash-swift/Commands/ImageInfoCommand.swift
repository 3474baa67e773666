import ArgumentParser
import ImageFormats

struct ImageInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image-info",
        abstract: "Show the header, segments, checksum, SHA-256 and app/bootloader description of a firmware image.",
        discussion: """
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
            """
    )

    @Argument(help: "Application or bootloader image (.bin), or a whole flash image with --offset/--partition.")
    var file: String

    @OptionGroup var region: RegionOptions

    @Flag(name: .customLong("json"), help: "Print the facts as one JSON document.")
    var json = false

    func run() throws {
        try reportingFailures {
            let (info, name) = try InputFile.decode(file, region: region, with: ImageInfo.init(inspecting:))
            Console.warnings(info.warnings, file: name)
            if json { Console.out(Self.json(info)) } else { Console.out(info.text) }
        }
    }

    static func json(_ info: ImageInfo) -> JSONValue {
        let image = info.image, chip = info.chip
        let header: JSONValue = .object([
            ("magic", .int(image.version == 2 ? Int(FirmwareImage.esp8266V2Magic) : Int(FirmwareImage.magic))),
            ("segmentCount", .int(Int(image.segmentCount))),
            ("entryPoint", .int(Int(image.entryPoint))),
            ("flashMode", .optional(FlashMode(headerCode: image.flashMode)?.rawValue)),
            ("flashModeCode", .int(Int(image.flashMode))),
            ("flashSize", .optional(chip.flashSizeName(image.flashSizeCode))),
            ("flashSizeCode", .int(Int(image.flashSizeCode >> 4))),
            ("flashFreq", .optional(chip.flashFrequencyName(image.flashFrequencyCode))),
            ("flashFreqCode", .int(Int(image.flashFrequencyCode))),
        ])
        var extended: JSONValue = .null
        if let ext = image.extendedHeader {
            let d = ext.driveSettings
            extended = .object([
            ("wpPin", .int(Int(ext.wpPin))),
            ("wpPinDisabled", .bool(ext.wpPin == FirmwareImage.wpPinDisabled)),
            ("drive", .object(zip(["clk", "q", "d", "cs0", "hd", "wp"], d).map { ($0, .int(Int($1))) })),
            ("chipId", .int(Int(ext.chipID))),
            ("chipIdName", .string(ImageInfo.chipName(forID: ext.chipID))),
            ("minRevision", .string(ImageInfo.revision(ext.minRevisionFull))),
            ("minRevisionFull", .int(Int(ext.minRevisionFull))),
            ("legacyMinRevision", .int(Int(ext.minRevision))),
            ("maxRevision", .string(ImageInfo.revision(ext.maxRevisionFull))),
            ("maxRevisionFull", .int(Int(ext.maxRevisionFull))),
            ("hashAppended", .bool(ext.hashAppended)),
            ])
        }
        let segments = image.segments.enumerated().map { index, s -> JSONValue in
            .object([
                ("index", .int(index)),
                ("length", .int(s.data.count)),
                ("loadAddress", .int(Int(s.loadAddress))),
                ("fileOffset", .int(s.fileOffset)),
                ("memoryTypes", .array(chip.memoryTypes(at: s.loadAddress).map(JSONValue.string))),
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
                ("projectName", .string(a.projectName)),
                ("version", .string(a.version)),
                ("compileDate", .string(a.compileDate)),
                ("compileTime", .string(a.compileTime)),
                ("idfVersion", .string(a.idfVersion)),
                ("elfSha256", .string(a.elfSHA256.hexString)),
                ("secureVersion", .int(Int(a.secureVersion))),
                ("minEfuseBlockRevision", .string("\(a.minEfuseBlockRevision / 100).\(a.minEfuseBlockRevision % 100)")),
                ("maxEfuseBlockRevision", .string("\(a.maxEfuseBlockRevision / 100).\(a.maxEfuseBlockRevision % 100)")),
                ("mmuPageSize", .optional(a.mmuPageSize)),
            ])
        }
        var bootloader: JSONValue = .null
        if let b = info.bootloader {
            bootloader = .object([
                ("version", .int(Int(b.version))),
                ("idfVersion", .string(b.idfVersion)),
                ("compileTime", .string(b.dateTime)),
            ])
        }
        return .object([
            ("size", .int(info.size)),
            ("chip", .string(chip.name)),
            ("chipName", .string(chip.displayName)),
            ("imageVersion", .int(image.version)),
            ("header", header),
            ("extendedHeader", extended),
            ("segments", .array(segments)),
            ("dataLength", .int(image.dataLength)),
            ("checksum", checksum),
            ("sha256", sha),
            ("appDescription", app),
            ("bootloaderDescription", bootloader),
            ("warnings", .array(info.warnings.map { .string($0.message) })),
        ])
    }
}
