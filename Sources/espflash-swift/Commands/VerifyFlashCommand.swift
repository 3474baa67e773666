import ArgumentParser
import SerialBootloader

struct VerifyFlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-flash",
        abstract: "Check that files are in flash at their addresses (SPI_FLASH_MD5); exit 1 if any differs.",
        discussion: """
            Examples:
              espflash-swift verify-flash -p /dev/ttyUSB0 0x1000 bootloader.bin 0x10000 app.bin
              espflash-swift verify-flash -p virtual://esp32?flash=chip.bin --json 0x0 factory.bin
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "ADDR FILE pairs.")
    var pairs: [String] = []

    func validate() throws { _ = try AddressFilePairs.parse(pairs) }

    func run() throws {
        try reportingFailures {
            let images = try AddressFilePairs.load(try AddressFilePairs.parse(pairs))
            let reporter = ProgressReporter(json: connection.json)
            let session = try DeviceSession.open(connection, reporter: reporter)
            for image in images where image.address + image.data.count > session.flashSize {
                _ = session.failure(LoaderError(.badReply, command: "verify-flash", ""), "")
                throw CommandFailure(exitCode: ExitStatus.badInput, message: "\(image.name): ends past the \(FlashSize.name(session.flashSize)) flash")
            }
            let flasher = session.flasher()
            let results: [(image: FlashImage, flashMD5: String, matches: Bool)]
            do throws(LoaderError) { results = try flasher.verify(images) } catch {
                reporter.event("result", session.resultFields(ok: false, retries: flasher.retries) + [("error", .string(error.description))])
                throw session.failure(error, "verify-flash")
            }
            var entries: [JSONValue] = []
            for (i, r) in results.enumerated() {
                let md5 = md5Hex(r.image.data)
                entries.append(.object([("index", .int(i)), ("file", .string(r.image.name)), ("address", .int(r.image.address)),
                                        ("size", .int(r.image.data.count)), ("md5", .string(md5)), ("flash_md5", .string(r.flashMD5)),
                                        ("status", .string(r.matches ? "verified" : "differs"))]))
                reporter.event(r.matches ? "region_verified" : "region_failed", [("index", .int(i)), ("md5", .string(r.flashMD5))])
                reporter.say("\(hexAddress(r.image.address)) \(r.image.name): " + (r.matches ? "verified (MD5 \(md5))" : "DIFFERS (flash MD5 \(r.flashMD5), file \(md5))"))
            }
            let ok = results.allSatisfy(\.matches)
            reporter.event("result", session.resultFields(ok: ok, retries: flasher.retries) + [("regions", .array(entries))])
            try session.finish()
            if !ok {
                let bad = results.filter { !$0.matches }.map { "\($0.image.name) at \(hexAddress($0.image.address))" }
                throw CommandFailure(exitCode: ExitStatus.operationFailed, message: "verify-flash: flash differs from " + bad.joined(separator: ", "))
            }
        }
    }
}
