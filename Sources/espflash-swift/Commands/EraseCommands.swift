import ArgumentParser
import SerialBootloader

struct EraseRegionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase-region",
        abstract: "Erase a range of flash (a FLASH_BEGIN without data; the ROM has no erase command).",
        discussion: """
            ADDR and SIZE must be multiples of 4096 (a flash sector). The range is checked to read 0xFF afterwards.

            Examples:
              espflash-swift erase-region -p /dev/ttyUSB0 0x9000 0x6000
              espflash-swift erase-region -p virtual://esp32?flash=chip.bin 0x20000 64K
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Start address (multiple of 4096).") var address: FlashNumber
    @Argument(help: "Bytes to erase (multiple of 4096).") var size: FlashNumber

    func validate() throws {
        guard address.value % 4096 == 0, size.value % 4096 == 0, size.value > 0 else {
            throw ValidationError("ADDR and SIZE must be multiples of 4096 (0x1000), and SIZE not 0")
        }
    }

    func run() throws {
        try reportingFailures { try erase(DeviceCommandRun("erase-region", connection), .region(address: address.value, size: size.value)) }
    }
}

struct EraseFlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase-flash",
        abstract: "Erase the whole flash (FLASH_BEGIN over the whole chip) and check it reads 0xFF.",
        discussion: """
            Examples:
              espflash-swift erase-flash -p /dev/ttyUSB0
              espflash-swift erase-flash -p virtual://esp32c3?flash=chip.bin --json
            """
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try reportingFailures { try erase(DeviceCommandRun("erase-flash", connection), .all) }
    }
}

private func erase(_ run: DeviceCommandRun, _ range: EraseRange) throws {
    let (result, outcome) = try run.run { session throws(JobFailure) in try session.erase(range) }
    run.succeed(outcome, [("address", .int(result.address)), ("size", .int(result.size))])
    run.reporter.say("Erased \(result.size) bytes at \(hexAddress(result.address)); it reads back as 0xFF")
}
