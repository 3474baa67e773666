import ArgumentParser
import ImageFormats
import SerialBootloader

struct WriteFlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-flash",
        abstract: "Write files into flash through the ROM loader, skip what is already there, verify every region.",
        discussion: """
            Data goes compressed (FLASH_DEFL, zlib level 9) in 1 KB blocks. Before writing, each region's flash MD5 \
            is compared with the file: a match is skipped (--no-skip writes anyway). Long 0xFF runs inside a file \
            (a merged factory image) are only erased where the chip does not already read 0xFF. After writing, every \
            region is checked with SPI_FLASH_MD5. A lost or corrupted frame, or a dropped connection, is recovered \
            from: the tool re-syncs, finds by MD5 how much of the region is already right and resumes there. \
            If it still fails, the report says which regions are written and verified and which are not (exit 1).

            -fm/-ff/-fs rewrite the bootloader header as esptool and merge-bin do: only a file at the chip's \
            bootloader offset that parses as an image; an appended SHA-256 is recomputed.

            The chip guard: every file that is an image, and the bootloader and apps inside a merged factory image, \
            must name the connected chip and allow its revision; otherwise nothing is written and the exit is 2 \
            (--force writes anyway). Ctrl-C or SIGTERM stop the write at the next block and report every region \
            (exit 130 or 143).

            Examples:
              espflash-swift write-flash -p /dev/ttyUSB0 -b 921600 0x1000 bootloader.bin 0x8000 partitions.bin 0x10000 app.bin
              espflash-swift write-flash -p virtual://esp32 0x0 factory_4MB.bin
              espflash-swift write-flash -p socket://127.0.0.1:5555 --json 0x10000 app.bin
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .customLong("no-compress"), help: "Send plain FLASH_DATA blocks.")
    var noCompress = false

    @Flag(name: .customLong("no-verify"), help: "Do not check the flash MD5 after writing.")
    var noVerify = false

    @Flag(name: .customLong("no-skip"), help: "Write regions even when their flash MD5 already matches.")
    var noSkip = false

    @Flag(name: [.customShort("e"), .customLong("erase-all")], help: "Erase the whole flash first.")
    var eraseAll = false

    @Flag(help: "Write images built for another chip or chip revision anyway (the chip guard only warns).")
    var force = false

    @Option(name: [.customLong("fm", withSingleDash: true), .customLong("flash-mode")], help: "Bootloader header flash mode: keep, qio, qout, dio, dout.")
    var flashMode = "keep"

    @Option(name: [.customLong("ff", withSingleDash: true), .customLong("flash-freq")], help: "Bootloader header flash frequency: keep, 80m, 40m, 26m, 20m (per chip).")
    var flashFreq = "keep"

    @Option(name: [.customLong("fs", withSingleDash: true), .customLong("flash-size")], help: "Flash size: keep, detect, or 1MB…128MB (sets SPI_SET_PARAMS and the header).")
    var flashSize = FlashSizeArgument(argument: "keep")!

    @Argument(help: "ADDR FILE pairs.")
    var pairs: [String] = []

    func validate() throws {
        _ = try AddressFilePairs.parse(pairs)
        if flashMode != "keep", FlashMode(name: flashMode) == nil { throw ValidationError("-fm takes keep, qio, qout, dio or dout") }
        if flashFreq != "keep", FlashFrequency(name: flashFreq) == nil {
            throw ValidationError("-ff takes keep or one of " + FlashFrequency.choices.map(\.name).joined(separator: ", "))
        }
    }

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("write-flash", connection)
            let images = try run.arguments {
                let images = try AddressFilePairs.load(try AddressFilePairs.parse(pairs))
                try DeviceSession.checkImages(images)
                return images
            }
            var options = WriteOptions()
            options.transfer.compress = !noCompress
            options.transfer.verify = !noVerify
            options.transfer.skipUnchanged = !noSkip
            options.eraseAll = eraseAll
            options.force = force
            options.flashMode = FlashMode(name: flashMode)
            options.flashFrequency = FlashFrequency(name: flashFreq)
            let (result, outcome) = try run.run(flashSize: flashSize.choice) { session throws(JobFailure) in
                try session.write(images, options: options)
            }
            run.succeed(outcome, [("regions", .array(result.regions.map(\.json)))])
            let written = result.regions.filter { $0.status != .skipped }.count
            run.reporter.say(result.regions.map(\.reportLine).joined(separator: "\n"))
            run.reporter.say("Done: \(written) region(s) written, \(result.regions.count - written) already in flash; "
                             + "\(outcome.bytesSent) bytes sent, \(outcome.retries) retries, \(formatSecondsValue(outcome.seconds)) s")
        }
    }
}
