import ArgumentParser
import ImageFormats

struct ImageMakeAppCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-app",
        abstract: "Write a valid application image for a chip: a stand-in for firmware that is not at hand.",
        discussion: """
            The image has the layout an ESP-IDF build gives an app: a flash-mapped data segment starting with an \
            esp_app_desc_t (project name, version, "stand-in (espflash-swift)" as the IDF version), DRAM and IRAM \
            segments, a padding segment and a 64 KB-aligned code segment, the checksum and the appended SHA-256. \
            The code is seeded filler: the image passes every check (image-info, the chip guard, the emulated chip's \
            boot), but it runs nothing. Same options, same bytes.

            Examples:
              espflash-swift image make-app --chip esp32 --project-name esp-at --version v2.4.0.0 -o esp-at.bin
              espflash-swift image make-app --chip esp32c3 --min-rev 0.3 --code-size 180K -o app.bin
              espflash-swift image make-app --chip esp32 --ram-only -o ram_app.bin      # for load-ram
              espflash-swift image make-app --chip esp32s3 --bootloader --code-size 16K -o bootloader.bin

            --bootloader writes a second-stage bootloader stand-in instead: RAM segments only (DRAM, IRAM with the \
            entry point), --code-size bytes of filler, small enough for the space before the partition table.
            """
    )

    @Option(name: [.short, .long], help: "Chip the image is for.")
    var chip: Chip

    @Option(name: .customLong("project-name"), help: "esp_app_desc_t project name (at most 31 bytes).")
    var projectName = "esp-at"

    @Option(help: "esp_app_desc_t version (at most 31 bytes).")
    var version = "v2.4.0.0"

    @Option(name: .customLong("min-rev"), help: "Minimum chip revision in the header, MAJOR.MINOR.")
    var minRevision = "0.0"

    @Option(name: .customLong("max-rev"), help: "Maximum chip revision in the header, MAJOR.MINOR.")
    var maxRevision = "3.99"

    @Option(name: .customLong("code-size"), help: "Bytes of filler code (the image is about this plus 64 KB of padding).")
    var codeSize: FlashNumber = FlashNumber(argument: "32K")!

    @Option(name: [.customLong("fm", withSingleDash: true), .customLong("flash-mode")], help: "Header flash mode.")
    var flashMode: FlashMode = .dio

    @Option(name: [.customLong("ff", withSingleDash: true), .customLong("flash-freq")], help: "Header flash frequency.")
    var flashFreq: FlashFrequency = FlashFrequency(name: "40m")!

    @Option(name: [.customLong("fs", withSingleDash: true), .customLong("flash-size")], help: "Header flash size.")
    var flashSize = "4MB"

    @Flag(name: .customLong("ram-only"), help: "A program for load-ram instead: DRAM and IRAM segments only (code size at most 32K).")
    var ramOnly = false

    @Option(help: "Seed of the filler.")
    var seed: UInt64 = 1

    @Flag(help: "Write a second-stage bootloader stand-in (RAM segments only) instead of an app.")
    var bootloader = false

    @Option(name: [.short, .long], help: "Output file.")
    var output: String

    static func revision(_ text: String) -> ChipRevision? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), (0...655).contains(major), (0...99).contains(minor) else { return nil }
        return ChipRevision(major: major, minor: minor)
    }

    func validate() throws {
        guard Self.revision(minRevision) != nil else { throw ValidationError("--min-rev takes MAJOR.MINOR, like 3.1") }
        guard Self.revision(maxRevision) != nil else { throw ValidationError("--max-rev takes MAJOR.MINOR, like 3.99") }
        guard FlashSize(name: flashSize) != nil else { throw ValidationError("--flash-size takes one of " + FlashSize.choices.joined(separator: ", ")) }
        guard codeSize.value > 0, codeSize.value <= 16 << 20 else { throw ValidationError("--code-size must be between 1 byte and 16 MB") }
    }

    func run() throws {
        try reportingFailures {
            var options = AppImage.Options(chip: chip)
            options.projectName = projectName
            options.version = version
            options.minimumRevision = Self.revision(minRevision)!
            options.maximumRevision = Self.revision(maxRevision)!
            options.codeSize = codeSize.value
            options.flash = FlashSettings(mode: flashMode, frequency: flashFreq, size: FlashSize(name: flashSize))
            options.seed = seed
            let image: [UInt8]
            do throws(FormatError) {
                image = try bootloader ? AppImage.makeBootloader(options) : ramOnly ? AppImage.makeRAM(options) : AppImage.make(options)
            } catch {
                throw CommandFailure(exitCode: ExitStatus.usage, message: error.message, help: error.help)
            }
            try FileIO.writeAtomically(image, to: output)
            Console.out("Wrote \(image.count) bytes to \(output): \(chip.displayName) "
                        + (bootloader ? "bootloader stand-in\n" : "app '\(projectName)' \(version)\n"))
        }
    }
}
