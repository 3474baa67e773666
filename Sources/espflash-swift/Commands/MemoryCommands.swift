import ArgumentParser
import ImageFormats
import SerialBootloader

/// A 32-bit number argument: decimal or `0x` hex (addresses, register values, masks).
struct WordArgument: ExpressibleByArgument {
    var value: UInt32

    init?(argument: String) {
        let lower = argument.lowercased()
        let parsed: UInt64? = lower.hasPrefix("0x") ? UInt64(lower.dropFirst(2), radix: 16) : UInt64(lower)
        guard let parsed, let word = UInt32(exactly: parsed) else { return nil }
        value = word
    }
}

struct ReadMemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-mem",
        abstract: "Read one 32-bit word of the chip's memory or registers (READ_REG).",
        discussion: EsptoolSpelling.discussion("read-mem", """
            Only ROM, internal RAM and peripheral registers can be read; an unmapped address makes the chip crash \
            and reset, so no answer comes (exit 1).

            Examples:
              espflash-swift read-mem -p /dev/ttyUSB0 0x400C0000
              espflash-swift -p virtual://esp32 read-mem 0x3FF5A004 --json
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Address (decimal or 0x hex).") var address: WordArgument

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("read-mem", connection)
            let (value, outcome) = try run.run { session throws(JobFailure) in try session.readMemory(address.value) }
            run.succeed(outcome, [("address", .int(Int(address.value))), ("value", .int(Int(value)))])
            run.reporter.say("\(hexAddress(Int(address.value))) = \(hexAddress(Int(value)))")
        }
    }
}

struct WriteMemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write-mem",
        abstract: "Write a 32-bit word (under an optional mask) to the chip's memory or a register (WRITE_REG).",
        discussion: EsptoolSpelling.discussion("write-mem", """
            Only the bits set in MASK change (default 0xFFFFFFFF). The word is read back and printed.

            Examples:
              espflash-swift write-mem -p /dev/ttyUSB0 0x400C0000 0xabad1dea
              espflash-swift -p virtual://esp32 write-mem 0x3FF80000 0x5 0xF
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Address.") var address: WordArgument
    @Argument(help: "Value.") var value: WordArgument
    @Argument(help: "Mask: the bits to change.") var mask: WordArgument = WordArgument(argument: "0xFFFFFFFF")!

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("write-mem", connection)
            let (readBack, outcome) = try run.run { session throws(JobFailure) in
                try session.writeMemory(address.value, value: value.value, mask: mask.value)
            }
            run.succeed(outcome, [("address", .int(Int(address.value))), ("value", .int(Int(value.value))), ("mask", .int(Int(mask.value))),
                                  ("read_back", .int(Int(readBack)))])
            run.reporter.say("Wrote \(hexAddress(Int(value.value))) with mask \(hexAddress(Int(mask.value))) to \(hexAddress(Int(address.value))); "
                             + "it reads \(hexAddress(Int(readBack)))")
        }
    }
}

struct DumpMemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-mem",
        abstract: "Copy a range of the chip's memory into a file (one READ_REG per word).",
        discussion: EsptoolSpelling.discussion("dump-mem", """
            SIZE takes K/M suffixes (64k) and is rounded down to whole words. The output folder is checked before \
            connecting; the file is written only when the whole range was read.

            Examples:
              espflash-swift dump-mem -p /dev/ttyUSB0 0x40000000 64k iram0.bin
              espflash-swift -p virtual://esp32c3 dump-mem 0x3FC80000 0x1000 dram.bin
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Start address.") var address: WordArgument
    @Argument(help: "Bytes to read (K/M suffixes).") var size: FlashNumber
    @Argument(help: "Output file.") var output: String

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("dump-mem", connection)
            try run.arguments {
                guard size.value >= 4 else { throw CommandFailure.usage("SIZE must be at least 4 bytes (one word)") }
                try FileIO.checkOutputPath(output)
            }
            let (data, outcome) = try run.run { session throws(JobFailure) in
                try session.dumpMemory(address: address.value, size: size.value, name: output)
            }
            try run.arguments(stage: .finish) { try FileIO.writeAtomically(data, to: output) }
            run.succeed(outcome, [("address", .int(Int(address.value))), ("size", .int(data.count)), ("md5", .string(md5Hex(data))),
                                  ("output", .string(output))])
            run.reporter.say("Dumped \(data.count) bytes from \(hexAddress(Int(address.value))) to '\(output)'")
        }
    }
}

struct LoadRAMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load-ram",
        abstract: "Load a program into RAM (MEM_BEGIN/MEM_DATA) and start it (MEM_END); the chip is not reset afterwards.",
        discussion: EsptoolSpelling.discussion("load-ram", """
            FILE is an image as elf2image writes it (its segments and entry point) or the ELF file itself (its \
            loadable segments and entry). Every segment must lie in the chip's IRAM/DRAM/RTC memory; an image built \
            for another chip is refused (--force loads it anyway). The chip runs the program when the command \
            ends, so --after is not applied.

            Examples:
              espflash-swift load-ram -p /dev/ttyUSB0 ram_app.bin
              espflash-swift image make-app --chip esp32 --ram-only -o ram_app.bin && espflash-swift -p virtual://esp32 load-ram ram_app.bin
            """)
    )

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Load an image made for another chip anyway.") var force = false
    @Argument(help: "Image (elf2image output) or ELF file.") var file: String

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("load-ram", connection)
            let image = try run.arguments { try InputFile.decode(file, with: RAMImage.init(parsing:)) }
            try run.arguments {
                if let chip = try run.settings().chip {
                    for warning in try DeviceSession.checkRAMImage(image, name: file, chip: chip, force: force) { run.reporter.note(warning, warning: true) }
                }
            }
            let (result, outcome) = try run.run(after: .noReset) { session throws(JobFailure) in
                try session.loadRAM(image, name: file, force: force)
            }
            run.succeed(outcome, [("entry", .int(Int(result.entry))), ("block_size", .int(result.blockSize)),
                                  ("segments", .array(result.segments.map { .object([("address", .int(Int($0.address))), ("size", .int($0.size))]) }))])
            run.reporter.say("Loaded \(result.segments.count) segments from '\(file)' to RAM, executing at \(hexAddress(Int(result.entry))).")
        }
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Leave the ROM loader and boot the application in flash (FLASH_BEGIN of nothing, FLASH_END).",
        discussion: EsptoolSpelling.discussion("run", """
            Examples:
              espflash-swift run -p /dev/ttyUSB0
            """)
    )

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try reportingFailures {
            let run = DeviceCommandRun("run", connection)
            let (_, outcome) = try run.run(after: .noReset) { session throws(JobFailure) in try session.runApplication() }
            run.succeed(outcome, [])
            run.reporter.say("The chip left its loader and boots the application in flash.")
        }
    }
}
