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
        if flashMode != "keep", !FlashParameters.modes.contains(where: { $0.name == flashMode }) {
            throw ValidationError("-fm takes keep, qio, qout, dio or dout")
        }
    }

    func run() throws {
        try reportingFailures {
            let images = try AddressFilePairs.load(try AddressFilePairs.parse(pairs))
            let reporter = ProgressReporter(json: connection.json)
            let session = try DeviceSession.open(connection, reporter: reporter, size: flashSize.choice)

            var headerSize: Int?
            switch flashSize.choice {
            case .keep: headerSize = nil
            case .detect: headerSize = session.flashSize
            case .explicit(let bytes): headerSize = bytes
            }
            let settings = FlashSettings(mode: flashMode == "keep" ? nil : flashMode, frequency: flashFreq == "keep" ? nil : flashFreq,
                                         size: headerSize.map(FlashSize.name))
            var patched = images
            // esptool leaves the header alone under secure boot or secure download mode: a signed bootloader
            // must not change, and in secure download mode the flash cannot be read back to check it.
            let security = session.loader.securityInfo
            let mayPatch = !(security?.secureBootEnabled ?? false) && !(security?.secureDownloadMode ?? false)
            if !mayPatch && (settings.mode != nil || settings.frequency != nil || settings.size != nil) {
                Console.warning("secure boot or secure download mode is on: -fm/-ff/-fs are ignored, images are written unchanged")
            }
            for i in patched.indices where mayPatch {
                let result: (bytes: [UInt8], outcome: FlashSettings.PatchOutcome)
                do throws(FormatError) { result = try settings.patch(patched[i].data, at: patched[i].address, chip: session.chip) } catch {
                    throw CommandFailure(exitCode: ExitStatus.badInput, message: "\(patched[i].name): \(error.message)", help: error.help)
                }
                switch result.outcome {
                case .notApplicable:
                    break
                case .notAnImage(let why):
                    Console.warning(why)
                case .patched(let parameters, _, _):
                    patched[i].data = result.bytes
                    reporter.say("Flash parameters of \(patched[i].name) set to 0x\(String(format2: UInt8(parameters >> 8)))\(String(format2: UInt8(parameters & 0xFF)))")
                }
            }
            var options = FlashOptions()
            options.compress = !noCompress
            options.verify = !noVerify
            options.skipUnchanged = !noSkip && !eraseAll
            let regions: [PlannedRegion]
            do throws(FlashPlanError) { regions = try PlannedRegion.plan(patched, flashSize: session.flashSize, blankRunThreshold: options.blankRunThreshold) } catch {
                throw CommandFailure(exitCode: ExitStatus.badInput, message: error.description)
            }
            let flasher = session.flasher(options)
            if eraseAll {
                reporter.say("Erasing the whole flash (\(FlashSize.name(session.flashSize)))")
                do throws(LoaderError) { try flasher.erase(address: 0, size: session.flashSize) } catch { throw session.failure(error, "erase-all") }
            }
            do throws(FlashFailure) {
                let report = try flasher.write(regions)
                reporter.event("result", session.resultFields(ok: true, retries: flasher.retries) + [("regions", report.regionsJSON())])
                let written = report.regions.filter { $0.status != .skipped }.count
                reporter.say("Done: \(written) region(s) written, \(report.regions.count - written) already in flash; "
                             + "\(report.bytesSent) bytes sent, \(report.retries) retries, \(formatSecondsValue(report.seconds)) s")
            } catch {
                reporter.event("result", session.resultFields(ok: false, retries: flasher.retries)
                               + [("error", .string(error.error.description)), ("regions", error.report.regionsJSON())])
                _ = session.failure(error.error, "write-flash")  // saves a virtual chip's flash, closes the port
                let lines = error.report.regionLines().joined(separator: "\n")
                throw CommandFailure(exitCode: ExitStatus.operationFailed,
                                     message: "write-flash failed: \(error.error.description)\n" + lines,
                                     help: "run the same command again: regions already in flash are skipped")
            }
            try session.finish()
        }
    }
}

extension String {
    init(format2 byte: UInt8) {
        let s = String(byte, radix: 16)
        self = s.count == 1 ? "0" + s : s
    }
}
