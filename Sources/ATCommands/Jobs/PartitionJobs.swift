/// Why a partition job was refused before anything that changes flash was sent.
public struct ATRefusal: Error, Sendable, CustomStringConvertible {
    public let description: String
    public let help: String?
    public init(_ description: String, help: String? = nil) {
        self.description = description
        self.help = help
    }
}

/// Why a partition job failed on the way.
public enum ATJobError: Error, Sendable, CustomStringConvertible {
    case refused(ATRefusal)
    case command(ATError)
    /// Read back after writing or erasing, the flash differs at this partition offset.
    case verifyFailed(partition: String, offset: Int, expected: UInt8, found: UInt8)

    public var description: String {
        switch self {
        case .refused(let r): r.description
        case .command(let e): e.description
        case .verifyFailed(let p, let o, let e, let f):
            "\(p): read back after writing, offset 0x\(String(o, radix: 16)) holds 0x\(String(f, radix: 16)), expected 0x\(String(e, radix: 16))"
        }
    }
}

/// Progress of a partition job, for a caller to show.
public enum ATJobEvent: Sendable, Equatable {
    case erasing(partition: String, offset: Int, length: Int)
    case writing(done: Int, total: Int)
    case reading(done: Int, total: Int)
    case verified(partition: String, offset: Int, length: Int)
    case retry(attempt: Int, reason: String)
}

/// The plan of `sysflash write`: which 4 KB sectors are erased (from the one the new bytes start in to the one they
/// end in), and the checks done before sending anything. Bytes of the first sector before the new ones are kept
/// (read first, written back); the rest of the last sector reads 0xFF afterwards, as erased flash does.
public struct ATWritePlan: Sendable, Equatable {
    public let partition: ATPartition
    /// Partition offset of the new bytes.
    public let offset: Int
    public let length: Int
    /// The sector-aligned range erased and rewritten (partition offsets).
    public let eraseOffset: Int
    public let eraseLength: Int

    /// Checks a write of `length` bytes at `offset` into `partition`; refuses what the firmware would reject or
    /// what would not fit.
    public init(partition: ATPartition, offset: Int, length: Int) throws(ATRefusal) {
        let sector = SysFlash.sectorSize
        guard length > 0 else { throw ATRefusal("the file is empty: nothing to write") }
        guard offset >= 0, offset <= partition.size else {
            throw ATRefusal("--offset 0x\(String(offset, radix: 16)) is outside \(partition.name) (size 0x\(String(partition.size, radix: 16)))")
        }
        guard offset + length <= partition.size else {
            throw ATRefusal("\(length) bytes at offset 0x\(String(offset, radix: 16)) do not fit in \(partition.name) "
                            + "(0x\(String(partition.size, radix: 16)) = \(partition.size) bytes)",
                            help: "the partition sizes come from the module's at_customize.bin (at sysflash list)")
        }
        let start = offset / sector * sector
        let end = (offset + length + sector - 1) / sector * sector
        guard end <= partition.size else {
            throw ATRefusal("the last sector of the write ends at 0x\(String(end, radix: 16)), past the end of \(partition.name) "
                            + "(size 0x\(String(partition.size, radix: 16)) is not a multiple of 4 KB): AT+SYSFLASH cannot erase it")
        }
        self.partition = partition
        self.offset = offset
        self.length = length
        eraseOffset = start
        eraseLength = end - start
    }
}

/// Reads, writes and erases the module's user partitions through AT+SYSFLASH, every change read back and compared.
public struct ATPartitionJobs {
    public let client: ATClient
    /// Bytes per AT+SYSFLASH write or read: the command set advises writing in pieces of about 4 KB.
    public var chunkSize = 4096
    public var onEvent: ((ATJobEvent) -> Void)?

    public init(client: ATClient) {
        self.client = client
    }

    public func list() throws(ATError) -> [ATPartition] { try client.send(AT.partitions) }

    /// The partition named `name` on the module.
    public func partition(named name: String, in partitions: [ATPartition]) throws(ATRefusal) -> ATPartition {
        guard let p = partitions.first(where: { $0.name == name }) else {
            throw ATRefusal("the module has no partition '\(name)'",
                            help: "its partitions: " + partitions.map(\.name).joined(separator: ", "))
        }
        return p
    }

    public func read(_ partition: ATPartition, offset: Int, length: Int) throws(ATError) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(length)
        while data.count < length {
            let n = min(chunkSize, length - data.count)
            data += try client.send(SysFlash.Read(partition: partition.name, offset: offset + data.count, length: n))
            onEvent?(.reading(done: data.count, total: length))
        }
        return data
    }

    /// Erases the plan's sectors, writes the bytes the first sector held before the new ones and the new bytes,
    /// reads the whole erased range back and compares (the rest of the last sector must read 0xFF).
    public func write(_ plan: ATWritePlan, bytes: [UInt8]) throws(ATJobError) {
        let name = plan.partition.name
        let image: [UInt8]
        do throws(ATError) {
            // What the first sector holds before the new bytes is kept.
            let head = try read(plan.partition, offset: plan.eraseOffset, length: plan.offset - plan.eraseOffset)
            image = head + bytes
            onEvent?(.erasing(partition: name, offset: plan.eraseOffset, length: plan.eraseLength))
            try client.send(SysFlash.Erase(partition: name, offset: plan.eraseOffset, length: plan.eraseLength))
            var done = 0
            while done < image.count {
                let n = min(chunkSize, image.count - done)
                let chunk = Array(image[done..<(done + n)])
                if !chunk.allSatisfy({ $0 == 0xFF }) {  // erased flash already reads 0xFF
                    try client.send(SysFlash.Write(partition: name, offset: plan.eraseOffset + done, bytes: chunk))
                }
                done += n
                onEvent?(.writing(done: done, total: image.count))
            }
        } catch {
            throw .command(error)
        }
        try verify(plan.partition, offset: plan.eraseOffset, expected: image + [UInt8](repeating: 0xFF, count: plan.eraseLength - image.count))
    }

    /// Erases whole sectors (nil: the whole partition) and checks that they read 0xFF.
    public func erase(_ partition: ATPartition, offset: Int?, length: Int?) throws(ATJobError) {
        let range: (offset: Int, length: Int)
        do throws(ATRefusal) { range = try Self.eraseRange(partition, offset: offset, length: length) } catch { throw .refused(error) }
        onEvent?(.erasing(partition: partition.name, offset: range.offset, length: range.length))
        do throws(ATError) {
            if offset == nil {
                try client.send(SysFlash.Erase(wholePartition: partition.name, size: partition.size))
            } else {
                try client.send(SysFlash.Erase(partition: partition.name, offset: range.offset, length: range.length))
            }
        } catch {
            throw .command(error)
        }
        try verify(partition, offset: range.offset, expected: [UInt8](repeating: 0xFF, count: range.length))
    }

    /// The sectors an erase covers, refused unless offset and length are both given as multiples of 4 KB inside the
    /// partition, or both left out (then the whole partition, which must itself be whole sectors).
    public static func eraseRange(_ partition: ATPartition, offset: Int?, length: Int?) throws(ATRefusal) -> (offset: Int, length: Int) {
        let sector = SysFlash.sectorSize
        switch (offset, length) {
        case (nil, nil):
            guard partition.size % sector == 0 else {
                throw ATRefusal("\(partition.name) is 0x\(String(partition.size, radix: 16)) bytes, not whole 4 KB sectors: give --offset and --length")
            }
            return (0, partition.size)
        case (let o?, let l?):
            guard o % sector == 0, l % sector == 0, l > 0 else {
                throw ATRefusal("AT+SYSFLASH erases whole 4 KB sectors: --offset 0x\(String(o, radix: 16)) and --length 0x\(String(l, radix: 16)) must be multiples of 0x1000",
                                help: "leave out both to erase the whole partition")
            }
            guard o + l <= partition.size else {
                throw ATRefusal("0x\(String(o, radix: 16))+0x\(String(l, radix: 16)) is outside \(partition.name) (size 0x\(String(partition.size, radix: 16)))")
            }
            return (o, l)
        default:
            throw ATRefusal("give both --offset and --length, or neither (the whole partition)")
        }
    }

    private func verify(_ partition: ATPartition, offset: Int, expected: [UInt8]) throws(ATJobError) {
        let found: [UInt8]
        do { found = try read(partition, offset: offset, length: expected.count) } catch { throw .command(error) }
        if let i = expected.indices.first(where: { expected[$0] != found[$0] }) {
            throw .verifyFailed(partition: partition.name, offset: offset + i, expected: expected[i], found: found[i])
        }
        onEvent?(.verified(partition: partition.name, offset: offset, length: expected.count))
    }
}
