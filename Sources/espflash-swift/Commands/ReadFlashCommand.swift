import ArgumentParser
import ImageFormats
import SerialBootloader

struct ReadFlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-flash",
        abstract: "Read flash contents into a file (READ_FLASH_SLOW, checked against the chip's MD5).",
        discussion: EsptoolSpelling.discussion("read-flash", """
            SIZE may be ALL (to the end of the flash: the detected size, or -fs SIZE). The ROM returns 64 bytes per \
            command, so reading is slow (about 4 KB/s at 115200 baud). The output folder is checked before \
            connecting, and the file is written only when the whole read checked out.

            Examples:
              espflash-swift read-flash -p /dev/ttyUSB0 0x0 4MB flash.bin
              espflash-swift -p PORT -b 460800 read-flash 0 ALL flash_contents.bin
              espflash-swift read-flash -p virtual://esp32c3?flash=chip.bin 0x8000 0xC00 partitions.bin
            """)
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.customLong("fs", withSingleDash: true), .customLong("flash-size")], help: "Flash size for ALL and the range check: detect, keep or 1MB…128MB (env ESPTOOL_FS).")
    var flashSize: String?

    @Flag(name: .customLong("no-progress"), help: "No progress lines.")
    var noProgress = false

    @Argument(help: "Start address.") var address: FlashNumber
    @Argument(help: "Bytes to read, or ALL.") var size: String
    @Argument(help: "Output file.") var output: String

    func validate() throws {
        if size.uppercased() != "ALL", FlashNumber(argument: size) == nil { throw ValidationError("SIZE must be a number or ALL, not '\(size)'") }
        if let flashSize, FlashSizeChoice(argument: flashSize) == nil {
            throw ValidationError("invalid value '\(flashSize)' for --flash-size (choose from detect, keep, " + FlashSize.choices.joined(separator: ", ") + ")")
        }
    }

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("read-flash", connection)
            run.reporter.showProgress = !noProgress
            let sizeChoice = try run.arguments { () throws -> FlashSizeChoice in
                try FileIO.checkOutputPath(output)
                let text = flashSize ?? EsptoolDefaults.environment("ESPTOOL_FS") ?? "keep"
                guard let choice = FlashSizeChoice(argument: text) else { throw CommandFailure.usage("ESPTOOL_FS: '\(text)' is not a flash size") }
                if case .fixed(let flash) = choice, size.uppercased() != "ALL", address.value + FlashNumber(argument: size)!.value > flash.bytes {
                    throw CommandFailure(exitCode: ExitStatus.badInput, message: "\(hexAddress(address.value))+\(size) ends past the end of the \(flash) flash (-fs \(flash))")
                }
                return choice
            }
            let length: ReadLength = size.uppercased() == "ALL" ? .toEnd : .bytes(FlashNumber(argument: size)!.value)
            let (result, outcome) = try run.run(flashSize: sizeChoice) { session throws(JobFailure) in
                try session.read(address: address.value, length: length, name: output)
            }
            try run.arguments(stage: .finish) { try FileIO.writeAtomically(result.data, to: output) }
            run.succeed(outcome, [("address", .int(result.address)), ("size", .int(result.data.count)), ("md5", .string(result.md5)),
                                  ("output", .string(output))])
            run.reporter.say("Read \(result.data.count) bytes at \(hexAddress(result.address)) into \(output) (MD5 \(result.md5))")
        }
    }
}
