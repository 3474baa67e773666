import ArgumentParser
import ImageFormats
import SerialBootloader

struct WriteFlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-flash",
        abstract: "Write files into flash through the ROM loader, skip what is already there, verify every region.",
        discussion: EsptoolSpelling.discussion("write-flash", """
            Data goes compressed (FLASH_DEFL, zlib level 9) in 1 KB blocks. Each part of a file is hashed about once \
            with SPI_FLASH_MD5: before writing, to skip what the flash already holds (--no-skip writes anyway; 0xFF \
            runs of a merged factory image are only erased where the chip does not already read 0xFF), or after \
            writing, to verify it. Files past 16 MB are refused (the ROM's addresses are 24 bits). In secure download \
            mode nothing can be read back: the write is reported "unverifiable" and exits 1 unless --no-verify. \
            A lost or corrupted frame, or a dropped connection, is recovered \
            from: the tool re-syncs, finds by MD5 how much of the region is already right and resumes there. \
            If it still fails, the report says which regions are written and verified and which are not (exit 1).

            Before connecting: every file is read, addresses and overlaps (files sharing a 4 KB sector) checked, \
            -fm/-ff/-fs checked (against --chip when given) and, with -fs SIZE, every file must end inside the flash.

            -fm/-ff/-fs rewrite the bootloader header as esptool and merge-bin do: only a file at the chip's \
            bootloader offset that parses as an image; an appended SHA-256 is recomputed. --config FILE takes the \
            pairs and flash settings of an ESP-IDF flash_args / flasher_args.json or an esp-at download.config \
            (paths relative to its folder); @FILE works too, as in esptool.

            The chip guard: every file that is an image, and the bootloader and apps inside a merged factory image, \
            must name the connected chip and allow its revision; otherwise nothing is written and the exit is 2 \
            (--force writes anyway). --diff-with and --trust-flash-content are accepted: what to write is decided \
            by the flash's MD5 here, so the old files are not needed. Ctrl-C or SIGTERM stop the write at the next \
            block and report every region (exit 130 or 143).

            Examples:
              espflash-swift write-flash -p /dev/ttyUSB0 -b 921600 0x1000 bootloader.bin 0x8000 partitions.bin 0x10000 app.bin
              espflash-swift -p /dev/ttyUSB0 -b 460800 --before default_reset write_flash @flash_args      # from build/
              espflash-swift write-flash -p virtual://esp32 --config build/flasher_args.json
              espflash-swift write-flash -p socket://127.0.0.1:5555 --json 0x10000 app.bin
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var flash: FlashSettingsOptions

    @Flag(name: [.customShort("u"), .customLong("no-compress")], help: "Send plain FLASH_DATA blocks.")
    var noCompress = false

    @Flag(name: [.customShort("z"), .customLong("compress")], help: "Accepted for esptool compatibility: data is always compressed unless -u.")
    var compress = false

    @Flag(name: .customLong("no-verify"), help: "Do not check the flash MD5 after writing.")
    var noVerify = false

    @Flag(help: "Accepted for esptool compatibility: every region is always verified unless --no-verify.")
    var verify = false

    @Flag(name: .customLong("no-skip"), help: "Write regions even when their flash MD5 already matches.")
    var noSkip = false

    @Flag(name: [.customShort("s"), .customLong("skip-flashed")], help: "Accepted for esptool compatibility: regions already in flash are always skipped unless --no-skip.")
    var skipFlashed = false

    @Flag(name: [.customShort("e"), .customLong("erase-all")], help: "Erase the whole flash first.")
    var eraseAll = false

    @Flag(help: "Write images built for another chip or chip revision anyway (the chip guard only warns).")
    var force = false

    @Flag(name: .customLong("no-progress"), help: "No progress lines.")
    var noProgress = false

    @Option(name: .customLong("diff-with"), parsing: .upToNextOption, help: "esptool's previously flashed files (or 'skip'): accepted; the flash's MD5 decides what is written.")
    var diffWith: [String] = []

    @Flag(name: .customLong("trust-flash-content"), help: "Accepted for esptool compatibility (with --diff-with).")
    var trustFlashContent = false

    @Option(help: "download.config, flash_args/flash_project_args or flasher_args.json to take pairs and flash settings from.")
    var config: String?

    @Argument(help: ArgumentHelp("Pairs of flash address and file.", valueName: "ADDR FILE"))
    var pairs: [String] = []

    func validate() throws {
        _ = try AddressFilePairs.parse(pairs, allowEmpty: config != nil)
        if noCompress, compress { throw ValidationError("-z/--compress and -u/--no-compress contradict each other") }
        if trustFlashContent, diffWith.isEmpty { throw ValidationError("--trust-flash-content requires --diff-with") }
    }

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("write-flash", connection)
            run.reporter.showProgress = !noProgress
            let (images, settings) = try run.arguments {
                let configInput = try config.map(FlashConfigInput.init)
                let settings = try flash.resolved(config: configInput, chip: try run.settings().chip ?? configInput?.chip)
                try configInput?.requireFiles(besides: pairs)
                let images = try (configInput?.images() ?? []) + AddressFilePairs.load(AddressFilePairs.parse(pairs, allowEmpty: true))
                for path in diffWith where path != "skip" { _ = try FileIO.read(path) }
                let check = {
                    try DeviceSession.checkImages(images)
                    try FlashFit.check(images, size: settings.size)
                }
                try configInput.map { try $0.locating(check) } ?? check()
                return (images, settings)
            }
            run.pendingRegions = RegionOutcome.pending(images)
            var options = WriteOptions()
            options.transfer.compress = !noCompress
            options.transfer.verify = !noVerify
            options.transfer.skipUnchanged = !noSkip
            if let attempts = run.resolved?.writeBlockAttempts { options.transfer.blockAttempts = max(1, attempts) }
            options.eraseAll = eraseAll
            options.force = force
            options.flashMode = settings.mode
            options.flashFrequency = settings.frequency
            let (result, outcome) = try run.run(flashSize: settings.size) { session throws(JobFailure) in
                try session.write(images, options: options)
            }
            run.succeed(outcome, [("regions", .array(result.regions.map(\.json))), ("hashed_bytes", .int(result.hashedBytes))])
            let written = result.regions.filter { $0.status != .skipped }.count
            run.reporter.say(result.regions.map(\.reportLine).joined(separator: "\n"))
            run.reporter.say("Done: \(written) region(s) written, \(result.regions.count - written) already in flash; "
                             + "\(outcome.bytesSent) bytes sent, \(outcome.retries) retries, \(formatSecondsValue(outcome.seconds)) s")
        }
    }
}
