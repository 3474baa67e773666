/// One line of `AT+SYSFLASH?`: `+SYSFLASH:"ble_data",64,1,0x21000,0x3000` (name quoted from v2.x; unquoted and
/// decimal numbers are accepted too).
public struct ATPartition: Sendable, Equatable {
    public var name: String
    public var type: Int
    public var subtype: Int
    public var address: Int
    public var size: Int

    public init(name: String, type: Int, subtype: Int, address: Int, size: Int) {
        self.name = name
        self.type = type
        self.subtype = subtype
        self.address = address
        self.size = size
    }

    /// The line as the firmware prints it.
    public var line: String {
        "+SYSFLASH:\(ATFields.quoted(name)),\(type),\(subtype),0x\(String(address, radix: 16)),0x\(String(size, radix: 16))"
    }
}

public struct PartitionListRequest: ATRequest {
    public var commandLine: String { "AT+SYSFLASH?" }
    public func parse(_ response: ATResponse) throws(ATError) -> [ATPartition] {
        var partitions: [ATPartition] = []
        for value in response.values(of: "+SYSFLASH") {
            let f = ATFields.split(value)
            guard f.count == 5, let type = ATFields.integer(f[1]), let subtype = ATFields.integer(f[2]),
                  let address = ATFields.integer(f[3]), let size = ATFields.integer(f[4]) else {
                throw badReply("'+SYSFLASH:\(value)' is not <partition>,<type>,<subtype>,<addr>,<size>", response)
            }
            partitions.append(ATPartition(name: f[0], type: type, subtype: subtype, address: address, size: size))
        }
        return partitions
    }
}

/// `AT+SYSFLASH=<operation>,<partition>,<offset>,<length>`: operation 0 erases (offset and length in whole 4 KB
/// sectors, or both omitted for the whole partition), 1 writes the data sent after `>`, 2 reads
/// (`+SYSFLASH:<length>,<bytes>`).
public enum SysFlash {
    public static let sectorSize = 4096

    public struct Erase: ATRequest {
        public let partition: String
        /// nil: the whole partition (AT+SYSFLASH=0,"name").
        public let range: (offset: Int, length: Int)?
        /// Size of what is erased, for the timeout (the partition size when `range` is nil).
        public let eraseSize: Int

        public init(partition: String, offset: Int, length: Int) {
            self.partition = partition
            self.range = (offset, length)
            self.eraseSize = length
        }

        public init(wholePartition partition: String, size: Int) {
            self.partition = partition
            self.range = nil
            self.eraseSize = size
        }

        public var commandLine: String {
            guard let range else { return "AT+SYSFLASH=0,\(ATFields.quoted(partition))" }
            return "AT+SYSFLASH=0,\(ATFields.quoted(partition)),\(range.offset),\(range.length)"
        }

        public func timeout(baud: Int) -> Double {
            ATTimeouts.command + Double((eraseSize + sectorSize - 1) / sectorSize) * ATTimeouts.perSectorErase
        }

        public func parse(_ response: ATResponse) throws(ATError) {}
    }

    public struct Write: ATRequest {
        public let partition: String
        public let offset: Int
        public let bytes: [UInt8]

        public init(partition: String, offset: Int, bytes: [UInt8]) {
            self.partition = partition
            self.offset = offset
            self.bytes = bytes
        }

        public var commandLine: String { "AT+SYSFLASH=1,\(ATFields.quoted(partition)),\(offset),\(bytes.count)" }
        public var data: [UInt8]? { bytes }
        public func parse(_ response: ATResponse) throws(ATError) {}
    }

    public struct Read: ATRequest {
        public let partition: String
        public let offset: Int
        public let length: Int

        public init(partition: String, offset: Int, length: Int) {
            self.partition = partition
            self.offset = offset
            self.length = length
        }

        public var commandLine: String { "AT+SYSFLASH=2,\(ATFields.quoted(partition)),\(offset),\(length)" }
        public var payloadPrefix: String? { "+SYSFLASH" }
        public func timeout(baud: Int) -> Double { ATTimeouts.command + ATClient.transferTime(bytes: length + 32, baud: baud) }

        public func parse(_ response: ATResponse) throws(ATError) -> [UInt8] {
            guard let payload = response.payload else { throw badReply("no +SYSFLASH:<length>,<data> reply", response) }
            guard payload.count == length else {
                throw badReply("asked for \(length) bytes, the reply has \(payload.count)", response)
            }
            return payload
        }
    }
}

/// `AT+FS=0,<operation>,<filename>[,<offset>,<length>]` on the FAT partition: 0 delete, 1 write (data after `>`),
/// 2 read (`+FS:<length>,<bytes>`), 3 size (`+FS:<size>`), 4 list a directory (one name per line after `+FS:`).
public enum FileSystem {
    public struct Delete: ATRequest {
        public let file: String
        public init(_ file: String) { self.file = file }
        public var commandLine: String { "AT+FS=0,0,\(ATFields.quoted(file))" }
        public func parse(_ response: ATResponse) throws(ATError) {}
    }

    public struct Write: ATRequest {
        public let file: String
        public let offset: Int
        public let bytes: [UInt8]
        public init(_ file: String, offset: Int, bytes: [UInt8]) {
            self.file = file
            self.offset = offset
            self.bytes = bytes
        }
        public var commandLine: String { "AT+FS=0,1,\(ATFields.quoted(file)),\(offset),\(bytes.count)" }
        public var data: [UInt8]? { bytes }
        public func parse(_ response: ATResponse) throws(ATError) {}
    }

    public struct Read: ATRequest {
        public let file: String
        public let offset: Int
        public let length: Int
        public init(_ file: String, offset: Int, length: Int) {
            self.file = file
            self.offset = offset
            self.length = length
        }
        public var commandLine: String { "AT+FS=0,2,\(ATFields.quoted(file)),\(offset),\(length)" }
        public var payloadPrefix: String? { "+FS" }
        public func timeout(baud: Int) -> Double { ATTimeouts.command + ATClient.transferTime(bytes: length + 32, baud: baud) }
        /// The bytes read: at most `length` (fewer at the end of the file).
        public func parse(_ response: ATResponse) throws(ATError) -> [UInt8] {
            guard let payload = response.payload, payload.count <= length else {
                throw badReply("no +FS:<length>,<data> reply of at most \(length) bytes", response)
            }
            return payload
        }
    }

    public struct Size: ATRequest {
        public let file: String
        public init(_ file: String) { self.file = file }
        public var commandLine: String { "AT+FS=0,3,\(ATFields.quoted(file))" }
        public func parse(_ response: ATResponse) throws(ATError) -> Int {
            guard let value = response.values(of: "+FS").first, let size = ATFields.integer(value) else {
                throw badReply("no +FS:<size> line", response)
            }
            return size
        }
    }

    public struct List: ATRequest {
        public let directory: String
        public init(_ directory: String = ".") { self.directory = directory }
        public var commandLine: String { "AT+FS=0,4,\(ATFields.quoted(directory))" }
        /// The names listed (`.` and `..` included as the firmware prints them).
        public func parse(_ response: ATResponse) throws(ATError) -> [String] {
            guard let first = response.lines.firstIndex(where: { $0.hasPrefix("+FS:") }) else {
                throw badReply("no +FS: line", response)
            }
            let head = String(response.lines[first].dropFirst(4))
            return (head.isEmpty ? [] : [head]) + response.lines[(first + 1)...]
        }
    }
}
