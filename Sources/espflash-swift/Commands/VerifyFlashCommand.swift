import ArgumentParser
import ImageFormats
import SerialBootloader

struct VerifyFlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-flash",
        abstract: "Check that files are in flash at their addresses (SPI_FLASH_MD5); exit 1 if any differs.",
        discussion: EsptoolSpelling.discussion("verify-flash", """
            With --diff (esptool v4: --diff yes) a differing region is read back and every differing byte is listed \
            (address, flash, file). As with esptool, give the -fm/-ff/-fs that write-flash got: the bootloader \
            header is compared as write-flash wrote it. --config FILE takes pairs and settings as write-flash does.

            Examples:
              espflash-swift verify-flash -p /dev/ttyUSB0 0x1000 bootloader.bin 0x10000 app.bin
              espflash-swift verify-flash -p virtual://esp32?flash=chip.bin --diff yes 0x40000 app.bin
              espflash-swift verify-flash -p virtual://esp32?flash=chip.bin --json 0x0 factory.bin
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var flash: FlashSettingsOptions

    @Flag(name: [.customShort("d"), .long], help: "List the bytes that differ (esptool v4: --diff yes).")
    var diff = false

    @Option(help: "download.config, flash_args/flash_project_args or flasher_args.json to take pairs and flash settings from.")
    var config: String?

    @Argument(help: ArgumentHelp("Pairs of flash address and file.", valueName: "ADDR FILE"))
    var pairs: [String] = []

    func validate() throws { _ = try AddressFilePairs.parse(pairs, allowEmpty: config != nil) }

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("verify-flash", connection)
            let (images, settings) = try run.arguments {
                let configInput = try config.map(FlashConfigInput.init)
                let settings = try flash.resolved(config: configInput, chip: try run.settings().chip ?? configInput?.chip)
                try configInput?.requireFiles(besides: pairs)
                let images = try (configInput?.images() ?? []) + AddressFilePairs.load(AddressFilePairs.parse(pairs, allowEmpty: true))
                let check = { try FlashFit.check(images, size: settings.size) }
                try configInput.map { try $0.locating(check) } ?? check()
                return (images, settings)
            }
            var options = VerifyOptions()
            options.flashMode = settings.mode
            options.flashFrequency = settings.frequency
            options.showDifferences = diff
            let showDifferences = { (failure: JobFailure) in
                for region in failure.regions where !region.differences.isEmpty { run.reporter.say(Self.differenceText(region)) }
            }
            let (result, outcome) = try run.run(flashSize: settings.size, onFailure: showDifferences) { session throws(JobFailure) in
                try session.verify(images, options: options)
            }
            run.succeed(outcome, [("regions", .array(result.regions.map(\.json)))])
            run.reporter.say(result.regions.map { "\(hexAddress($0.address)) \($0.name): verified (MD5 \($0.md5))" }.joined(separator: "\n"))
        }
    }

    /// esptool's listing: `   0x00040010 ff 00` (address, flash byte, file byte).
    static func differenceText(_ region: RegionOutcome) -> String {
        let count = region.differenceCount ?? region.differences.count
        var lines = ["\(region.name): verification failed: \(count) differences, first at \(hexAddress(region.differences[0].address)):"]
        lines += region.differences.map { "   \(hexAddress($0.address)) \(EsptoolText.hex2(Int($0.flash))) \(EsptoolText.hex2(Int($0.file)))" }
        if count > region.differences.count { lines.append("   … and \(count - region.differences.count) more") }
        return lines.joined(separator: "\n")
    }
}
