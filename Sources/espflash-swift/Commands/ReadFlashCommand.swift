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
            let run = DeviceCommandRun("read-flash", connection)
            try run.arguments { try FileIO.checkOutputPath(output) }
            let length: ReadLength = size.uppercased() == "ALL" ? .toEnd : .bytes(FlashNumber(argument: size)!.value)
            let (result, outcome) = try run.run { session throws(JobFailure) in
                try session.read(address: address.value, length: length, name: output)
            }
            try run.arguments(stage: .finish) { try FileIO.writeAtomically(result.data, to: output) }
            run.succeed(outcome, [("address", .int(result.address)), ("size", .int(result.data.count)), ("md5", .string(result.md5)),
                                  ("output", .string(output))])
            run.reporter.say("Read \(result.data.count) bytes at \(hexAddress(result.address)) into \(output) (MD5 \(result.md5))")
        }
    }
}
