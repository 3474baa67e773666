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
            let run = DeviceCommandRun("verify-flash", connection)
            let images = try run.arguments { try AddressFilePairs.load(try AddressFilePairs.parse(pairs)) }
            let (result, outcome) = try run.run { session throws(JobFailure) in try session.verify(images) }
            run.succeed(outcome, [("regions", .array(result.regions.map(\.json)))])
            run.reporter.say(result.regions.map { "\(hexAddress($0.address)) \($0.name): verified (MD5 \($0.md5))" }.joined(separator: "\n"))
        }
    }
}
