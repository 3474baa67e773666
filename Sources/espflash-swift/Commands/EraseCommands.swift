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
        try reportingFailures {
            let reporter = ProgressReporter(json: connection.json)
            let session = try DeviceSession.open(connection, reporter: reporter)
            try eraseAndReport(session: session, reporter: reporter, address: address.value, size: size.value)
        }
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
        try reportingFailures {
            let reporter = ProgressReporter(json: connection.json)
            let session = try DeviceSession.open(connection, reporter: reporter)
            try eraseAndReport(session: session, reporter: reporter, address: 0, size: session.flashSize)
        }
    }
}

private func eraseAndReport(session: DeviceSession, reporter: ProgressReporter, address: Int, size: Int) throws {
    guard address + size <= session.flashSize else {
        _ = session.failure(LoaderError(.badReply, command: "erase", ""), "")
        throw CommandFailure.usage("\(hexAddress(address))+0x\(String(size, radix: 16)) is outside the \(FlashSize.name(session.flashSize)) flash")
    }
    let flasher = session.flasher()
    reporter.event("erase", [("address", .int(address)), ("size", .int(size))])
    do throws(LoaderError) { try flasher.erase(address: address, size: size) } catch {
        reporter.event("result", session.resultFields(ok: false, retries: flasher.retries) + [("error", .string(error.description))])
        throw session.failure(error, "erase")
    }
    reporter.event("result", session.resultFields(ok: true, retries: flasher.retries) + [("address", .int(address)), ("size", .int(size))])
    reporter.say("Erased \(size) bytes at \(hexAddress(address)); it reads back as 0xFF")
    try session.finish()
}
