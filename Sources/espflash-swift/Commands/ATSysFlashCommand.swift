import ArgumentParser
import ATCommands
import ImageFormats
import SerialBootloader

struct ATSysFlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sysflash",
        abstract: "List, read, write and erase the user partitions at_customize.bin lists (AT+SYSFLASH).",
        discussion: """
            Examples:
              espflash-swift at sysflash list -p /dev/ttyUSB1
              espflash-swift at sysflash read -p /dev/ttyUSB1 factory_param -o factory_param.bin
              espflash-swift at sysflash write -p /dev/ttyUSB1 ble_data ble_data.bin
              espflash-swift at sysflash erase -p /dev/ttyUSB1 client_cert --offset 0x1000 --length 0x1000
            """,
        subcommands: [ATSysFlashList.self, ATSysFlashRead.self, ATSysFlashWrite.self, ATSysFlashErase.self]
    )
}

struct ATSysFlashList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the user partitions (AT+SYSFLASH?).",
        discussion: "Example:\n  espflash-swift at sysflash list -p /dev/ttyUSB1 --json")

    @OptionGroup var port: ATPortOptions

    func run() throws {
        try reportingFailures {
            let reporter = ProgressReporter(json: port.json)
            let link = try ATLink(port, reporter: reporter)
            try link.run(stage: "list") {
                let partitions = try link.send(AT.partitions)
                reporter.say("name             type subtype  address    size")
                for p in partitions {
                    reporter.say("\(p.name.padded(16)) 0x\(hex2(p.type))   0x\(hex2(p.subtype))  \(hexAddress(p.address)) \(hexAddress(p.size))")
                }
                reporter.event("result", [("ok", .bool(true)), ("partitions", .array(partitions.map(\.json)))])
            }
            link.close()
        }
    }
}

struct ATSysFlashRead: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read", abstract: "Read a user partition (AT+SYSFLASH=2) into a file.",
        discussion: "Example:\n  espflash-swift at sysflash read -p /dev/ttyUSB1 ble_data --length 0x1000 -o ble.bin")

    @OptionGroup var port: ATPortOptions
    @Argument(help: "Partition name, as at sysflash list shows it.") var partition: String
    @Option(help: "Offset inside the partition.") var offset: FlashNumber?
    @Option(help: "Bytes to read (default: to the end of the partition).") var length: FlashNumber?
    @Option(name: [.short, .customLong("output")], help: "Output file.") var output: String

    func run() throws {
        try reportingFailures {
            let reporter = ProgressReporter(json: port.json)
            let link = try ATLink(port, reporter: reporter)
            try link.run(stage: "read") {
                var jobs = ATPartitionJobs(client: link.client)
                let target = try jobs.partition(named: partition, in: try link.send(AT.partitions))
                let start = offset?.value ?? 0
                let count = length?.value ?? (target.size - start)
                guard start >= 0, count > 0, start + count <= target.size else {
                    throw ATRefusal("0x\(String(start, radix: 16))+0x\(String(count, radix: 16)) is outside \(partition) (size 0x\(String(target.size, radix: 16)))")
                }
                jobs.onEvent = { if case .reading(let done, let total) = $0 { reporter.progress(index: 0, done: done, total: total) } }
                reporter.handle(.regionStarted(RegionInfo(index: 0, name: output, address: target.address + start, size: count, md5: nil)))
                let data = try jobs.read(target, offset: start, length: count)
                try FileIO.writeAtomically(data, to: output)
                reporter.say("Read \(count) bytes of \(partition) at offset \(hexAddress(start)) into \(output) (MD5 \(md5Hex(data)))")
                reporter.event("result", [("ok", .bool(true)), ("partition", .string(partition)), ("offset", .int(start)),
                                          ("size", .int(count)), ("md5", .string(md5Hex(data))), ("output", .string(output))])
            }
            link.close()
        }
    }
}

struct ATSysFlashWrite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write", abstract: "Write a file into a user partition: erase, write in 4 KB pieces, read back, compare.",
        discussion: """
            The 4 KB sectors the file touches are erased first; what else those sectors held is read before and \
            written back, so only the file's bytes change. A file larger than the partition or an unknown \
            partition is refused before anything is erased or written.

            Example:
              espflash-swift at sysflash write -p "virtual://esp32?flash=chip.bin" ble_data ble_data.bin
            """)

    @OptionGroup var port: ATPortOptions
    @Argument(help: "Partition name.") var partition: String
    @Argument(help: "File to write.") var file: String
    @Option(help: "Offset inside the partition.") var offset: FlashNumber?

    func run() throws {
        try reportingFailures {
            let bytes = try FileIO.read(file)  // before the port opens
            let reporter = ProgressReporter(json: port.json)
            let link = try ATLink(port, reporter: reporter)
            try link.run(stage: "write") {
                var jobs = ATPartitionJobs(client: link.client)
                let target = try jobs.partition(named: partition, in: try link.send(AT.partitions))
                let plan = try ATWritePlan(partition: target, offset: offset?.value ?? 0, length: bytes.count)
                jobs.onEvent = { event in
                    switch event {
                    case .erasing(let name, let o, let l):
                        reporter.event("erase", [("partition", .string(name)), ("offset", .int(o)), ("size", .int(l))])
                    case .writing(let done, let total): reporter.progress(index: 0, done: done, total: total)
                    case .verified(let name, let o, let l):
                        reporter.event("verified", [("partition", .string(name)), ("offset", .int(o)), ("size", .int(l))])
                    default: break
                    }
                }
                reporter.handle(.regionStarted(RegionInfo(index: 0, name: file, address: target.address + plan.offset, size: bytes.count, md5: md5Hex(bytes))))
                try jobs.write(plan, bytes: bytes)
                try link.closeAfterChange()
                reporter.say("Wrote \(bytes.count) bytes into \(partition) at offset \(hexAddress(plan.offset)) (flash \(hexAddress(target.address + plan.offset))), read back and verified (MD5 \(md5Hex(bytes)))")
                reporter.event("result", [("ok", .bool(true)), ("partition", .string(partition)), ("offset", .int(plan.offset)),
                                          ("address", .int(target.address + plan.offset)), ("size", .int(bytes.count)),
                                          ("md5", .string(md5Hex(bytes))), ("erased", .int(plan.eraseLength))])
            }
            link.close()
        }
    }
}

struct ATSysFlashErase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase", abstract: "Erase a user partition, or whole 4 KB sectors of it, and check it reads 0xFF.",
        discussion: "Example:\n  espflash-swift at sysflash erase -p /dev/ttyUSB1 ble_data")

    @OptionGroup var port: ATPortOptions
    @Argument(help: "Partition name.") var partition: String
    @Option(help: "Offset inside the partition (a multiple of 4 KB; with --length).") var offset: FlashNumber?
    @Option(help: "Bytes to erase (a multiple of 4 KB; with --offset).") var length: FlashNumber?

    func run() throws {
        try reportingFailures {
            // The alignment rule needs no module: refuse before the port opens.
            if (offset == nil) != (length == nil) {
                throw CommandFailure(exitCode: ExitStatus.badInput, message: "give both --offset and --length, or neither (the whole partition)")
            }
            if let o = offset?.value, let l = length?.value, o % SysFlash.sectorSize != 0 || l % SysFlash.sectorSize != 0 || l == 0 {
                throw CommandFailure(exitCode: ExitStatus.badInput,
                                     message: "AT+SYSFLASH erases whole 4 KB sectors: --offset \(hexAddress(o)) and --length \(hexAddress(l)) must be non-zero multiples of 0x1000",
                                     help: "leave out both to erase the whole partition")
            }
            let reporter = ProgressReporter(json: port.json)
            let link = try ATLink(port, reporter: reporter)
            try link.run(stage: "erase") {
                let jobs = ATPartitionJobs(client: link.client)
                let target = try jobs.partition(named: partition, in: try link.send(AT.partitions))
                try jobs.erase(target, offset: offset?.value, length: length?.value)
                try link.closeAfterChange()
                let size = length?.value ?? target.size
                reporter.say("Erased \(size) bytes of \(partition) at offset \(hexAddress(offset?.value ?? 0)); they read 0xFF")
                reporter.event("result", [("ok", .bool(true)), ("partition", .string(partition)), ("offset", .int(offset?.value ?? 0)), ("size", .int(size))])
            }
            link.close()
        }
    }
}

extension ATPartition {
    var json: JSONValue {
        .object([("name", .string(name)), ("type", .int(type)), ("subtype", .int(subtype)), ("address", .int(address)), ("size", .int(size))])
    }
}

func hex2(_ v: Int) -> String { let s = String(v, radix: 16); return s.count == 1 ? "0" + s : s }

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
