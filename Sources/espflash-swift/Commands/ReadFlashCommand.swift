import ArgumentParser
import SerialBootloader

struct ReadFlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-flash",
        abstract: "Read flash contents into a file (READ_FLASH_SLOW, checked against the chip's MD5).",
        discussion: """
            SIZE may be ALL (to the end of the flash). The ROM returns 64 bytes per command, so reading is slow \
            (about 4 KB/s at 115200 baud). The output file is written only when the whole read checked out.

            Examples:
              espflash-swift read-flash -p /dev/ttyUSB0 0x0 4MB flash.bin
              espflash-swift read-flash -p virtual://esp32c3?flash=chip.bin 0x8000 0xC00 partitions.bin
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Start address.") var address: FlashNumber
    @Argument(help: "Bytes to read, or ALL.") var size: String
    @Argument(help: "Output file.") var output: String

    func validate() throws {
        if size.uppercased() != "ALL", FlashNumber(argument: size) == nil { throw ValidationError("SIZE must be a number or ALL, not '\(size)'") }
    }

    func run() throws {
        try reportingFailures {
            let reporter = ProgressReporter(json: connection.json)
            let session = try DeviceSession.open(connection, reporter: reporter)
            let length = size.uppercased() == "ALL" ? session.flashSize - address.value : FlashNumber(argument: size)!.value
            guard length > 0, address.value + length <= session.flashSize else {
                _ = session.failure(LoaderError(.badReply, command: "read-flash", ""), "")
                throw CommandFailure.usage("0x\(String(address.value, radix: 16))+\(length) is outside the \(FlashSize.name(session.flashSize)) flash")
            }
            let flasher = session.flasher()
            reporter.handle(.regionStarted(index: 0, name: output, address: address.value, size: length))
            let data: [UInt8]
            do throws(LoaderError) {
                data = try flasher.read(address: address.value, size: length) { reporter.progress(index: 0, done: $0, total: length) }
            } catch {
                reporter.event("result", session.resultFields(ok: false, retries: flasher.retries) + [("error", .string(error.description))])
                throw session.failure(error, "read-flash")
            }
            try FileIO.writeAtomically(data, to: output)
            reporter.event("result", session.resultFields(ok: true, retries: flasher.retries)
                           + [("address", .int(address.value)), ("size", .int(length)), ("md5", .string(md5Hex(data))), ("output", .string(output))])
            reporter.say("Read \(length) bytes at \(hexAddress(address.value)) into \(output) (MD5 \(md5Hex(data)))")
            try session.finish()
        }
    }
}
