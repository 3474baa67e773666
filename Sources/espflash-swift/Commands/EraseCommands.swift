import ArgumentParser
import SerialBootloader

struct EraseRegionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase-region",
        abstract: "Erase a range of flash (a FLASH_BEGIN without data; the ROM has no erase command).",
        discussion: EsptoolSpelling.discussion("erase-region", """
            ADDR and SIZE must be multiples of 4096 (a flash sector); SIZE takes K/M suffixes (16k). The range is \
            erased 1 MB per FLASH_BEGIN and checked to read 0xFF afterwards. Ranges past 16 MB are refused (the ROM's \
            addresses are 24 bits).

            Examples:
              espflash-swift erase-region -p /dev/ttyUSB0 0x9000 0x6000
              espflash-swift erase-region -p virtual://esp32?flash=chip.bin 0x20000 64K
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Erase even with flash encryption or secure boot on (refused otherwise, as esptool does).") var force = false
    @Argument(help: "Start address (multiple of 4096).") var address: FlashNumber
    @Argument(help: "Bytes to erase (multiple of 4096).") var size: FlashNumber

    func validate() throws {
        guard address.value % 4096 == 0, size.value % 4096 == 0, size.value > 0 else {
            throw ValidationError("ADDR and SIZE must be multiples of 4096 (0x1000), and SIZE not 0")
        }
    }

    func run() throws {
        try reportingFailures { try erase(DeviceCommandRun("erase-region", connection), .region(address: address.value, size: size.value), force: force) }
    }
}

struct EraseFlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase-flash",
        abstract: "Erase the whole flash (FLASH_BEGINs of 1 MB over the chip) and check it reads 0xFF.",
        discussion: EsptoolSpelling.discussion("erase-flash", """
            Examples:
              espflash-swift erase-flash -p /dev/ttyUSB0
              espflash-swift erase-flash -p virtual://esp32c3?flash=chip.bin --json
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Erase even with flash encryption or secure boot on (refused otherwise, as esptool does).") var force = false

    func run() throws {
        try reportingFailures { try erase(DeviceCommandRun("erase-flash", connection), .all, force: force) }
    }
}

private func erase(_ run: DeviceCommandRun, _ range: EraseRange, force: Bool) throws {
    let (result, outcome) = try run.run { session throws(JobFailure) in try session.erase(range, force: force) }
    run.succeed(outcome, [("address", .int(result.address)), ("size", .int(result.size)), ("verified", .bool(result.verified))])
    run.reporter.say("Erased \(result.size) bytes at \(hexAddress(result.address))"
                     + (result.verified ? "; it reads back as 0xFF" : "; not checked (secure download mode cannot read flash)"))
}
