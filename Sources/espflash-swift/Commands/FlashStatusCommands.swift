import ArgumentParser
import SerialBootloader

struct ReadFlashStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-flash-status",
        abstract: "Read the SPI flash chip's status register (RDSR, RDSR2, RDSR3: one byte each).",
        discussion: EsptoolSpelling.discussion("read-flash-status", """
            --bytes 1 sends RDSR (05h); 2 also RDSR2 (35h); 3 also RDSR3 (15h). Byte 0 is the lowest in the value \
            printed. Chips without RDSR2/RDSR3 answer 0xFF for those bytes.

            Examples:
              espflash-swift read-flash-status -p /dev/ttyUSB0 --bytes 2
              espflash-swift -p virtual://esp32 read-flash-status --bytes 3 --json
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Status bytes to read: 1, 2 or 3.") var bytes = 2

    func validate() throws {
        guard (1...3).contains(bytes) else { throw ValidationError("--bytes must be 1, 2 or 3, not \(bytes)") }
    }

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("read-flash-status", connection)
            let (status, outcome) = try run.run { session throws(JobFailure) in try session.readFlashStatus(bytes: bytes) }
            run.succeed(outcome, [("bytes", .int(bytes)), ("status", .int(Int(status)))])
            run.reporter.say("Flash memory status: \(statusText(status, bytes: max(2, bytes)))")
        }
    }
}

struct WriteFlashStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-flash-status",
        abstract: "Write the SPI flash chip's status register (WRSR, WRSR2, WRSR3), then read it back.",
        discussion: EsptoolSpelling.discussion("write-flash-status", """
            esptool's sequence: with --bytes 2 first a 16-bit WRSR, then WRSR/WRSR2/WRSR3 with one byte each, every \
            write after a write enable (WREN with --non-volatile, else the volatile-only 50h), then WRDI. Setting \
            non-volatile bits can lock a flash chip for good: check the datasheet first. Bits the chip does not let \
            change are reported as a warning.

            Examples:
              espflash-swift write-flash-status -p /dev/ttyUSB0 --bytes 2 --non-volatile 0
              espflash-swift -p virtual://esp32 write-flash-status --bytes 1 0x1C
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Status bytes to write: 1, 2 or 3.") var bytes = 2
    @Flag(name: .customLong("non-volatile"), help: "Use WREN, so that non-volatile bits change too (use with care).") var nonVolatile = false
    @Argument(help: "New status value.") var value: WordArgument

    func validate() throws {
        guard (1...3).contains(bytes) else { throw ValidationError("--bytes must be 1, 2 or 3, not \(bytes)") }
    }

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("write-flash-status", connection)
            let (change, outcome) = try run.run { session throws(JobFailure) in
                try session.writeFlashStatus(value.value, bytes: bytes, nonVolatile: nonVolatile)
            }
            run.succeed(outcome, [("bytes", .int(bytes)), ("before", .int(Int(change.before))), ("requested", .int(Int(change.requested))),
                                  ("after", .int(Int(change.after))), ("non_volatile", .bool(nonVolatile))])
            run.reporter.say("""
                Initial flash memory status: \(statusText(change.before, bytes: bytes))
                Setting flash memory status: \(statusText(change.requested, bytes: bytes))
                After flash memory status:   \(statusText(change.after, bytes: bytes))
                """)
        }
    }
}

struct ReadFlashSFDPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-flash-sfdp",
        abstract: "Read bytes of the SPI flash chip's SFDP table (Serial Flash Discoverable Parameters, RDSFDP 5Ah).",
        discussion: EsptoolSpelling.discussion("read-flash-sfdp", """
            esptool reads 1 to 4 bytes; this reads any number, four per command.

            Examples:
              espflash-swift read-flash-sfdp -p /dev/ttyUSB0 16 4
              espflash-swift -p virtual://esp32 read-flash-sfdp 0 8 --json
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "SFDP address (decimal or 0x hex).") var address: WordArgument
    @Argument(help: "Bytes to read.") var bytes: WordArgument

    func validate() throws {
        guard bytes.value > 0, bytes.value <= 0x1000 else { throw ValidationError("BYTES must be between 1 and 4096") }
        guard address.value < 1 << 24 else { throw ValidationError("SFDP addresses are 24 bits (below 0x1000000)") }
    }

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("read-flash-sfdp", connection)
            let (data, outcome) = try run.run(flashSize: .detect) { session throws(JobFailure) in
                try session.readSFDP(address: Int(address.value), count: Int(bytes.value))
            }
            run.succeed(outcome, [("address", .int(Int(address.value))), ("data", .array(data.map { .int(Int($0)) }))] + EsptoolText.flashFields(outcome.device!))
            let first = Int(address.value), last = first + data.count - 1
            run.reporter.say(EsptoolText.flashIDText(outcome.device!).split(separator: "\n").dropFirst(2).joined(separator: "\n"))
            run.reporter.say("Flash memory SFDP[\(first)..\(last)]: " + data.map { "0x" + EsptoolText.hex2(Int($0)) }.joined(separator: " "))
        }
    }
}

/// `0x0200` for two bytes, `0x600200` for three (esptool prints at least four hex digits).
private func statusText(_ value: UInt32, bytes: Int) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, bytes * 2 - digits.count)) + digits
}
