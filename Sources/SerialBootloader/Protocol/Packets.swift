import ImageFormats

/// A request as it travels inside one SLIP frame: `00 op size(u16) checksum(u32) data`.
public struct CommandPacket: Sendable, Equatable {
    public static let headerSize = 8
    /// Seed of the data checksum (esptool `ESP_CHECKSUM_MAGIC`).
    public static let checksumSeed: UInt8 = 0xEF

    public var opcode: UInt8
    public var checksum: UInt32
    public var data: [UInt8]

    public init(opcode: UInt8, data: [UInt8] = [], checksum: UInt32 = 0) {
        self.opcode = opcode
        self.data = data
        self.checksum = checksum
    }

    public init(_ opcode: Opcode, data: [UInt8] = [], checksum: UInt32 = 0) {
        self.init(opcode: opcode.rawValue, data: data, checksum: checksum)
    }

    /// XOR of `payload` seeded with 0xEF: the checksum of FLASH_DATA, MEM_DATA and FLASH_DEFL_DATA, which covers
    /// only the bytes after the 16-byte data header.
    public static func checksum(of payload: some Sequence<UInt8>) -> UInt32 {
        UInt32(payload.reduce(checksumSeed, ^))
    }

    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: Self.headerSize + data.count)
        w.write(0x00)
        w.write(opcode)
        w.writeUInt16LE(UInt16(data.count))
        w.writeUInt32LE(checksum)
        w.write(contentsOf: data)
        return w.bytes
    }

    /// Parses a frame sent by a host. Returns nil for frames that are not requests (wrong direction, short).
    public init?(frame: [UInt8]) {
        guard frame.count >= Self.headerSize, frame[0] == 0x00 else { return nil }
        var r = ByteReader(frame)
        _ = try? r.readUInt8()
        guard let op = try? r.readUInt8(), let size = try? r.readUInt16LE(), let sum = try? r.readUInt32LE() else { return nil }
        opcode = op
        checksum = sum
        // A size field that disagrees with the frame is kept as the frame says; the device answers with an error.
        data = Array(frame[Self.headerSize...])
        declaredSize = Int(size)
    }

    /// The size field as received (only for parsed frames; equals `data.count` for well-formed ones).
    public private(set) var declaredSize: Int?
}

/// A reply: `01 op size(u16) value(u32) data`, where data ends with the status bytes
/// (4 on ESP32-family ROMs: `failed, error, 0, 0`; 2 on stubs).
public struct ResponsePacket: Sendable, Equatable {
    public static let headerSize = 8

    public var opcode: UInt8
    public var value: UInt32
    public var data: [UInt8]

    public init(opcode: UInt8, value: UInt32 = 0, data: [UInt8]) {
        self.opcode = opcode
        self.value = value
        self.data = data
    }

    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: Self.headerSize + data.count)
        w.write(0x01)
        w.write(opcode)
        w.writeUInt16LE(UInt16(data.count))
        w.writeUInt32LE(value)
        w.write(contentsOf: data)
        return w.bytes
    }

    /// Parses a frame from a device; nil for frames that are not replies (esptool skips those too).
    public init?(frame: [UInt8]) {
        guard frame.count >= Self.headerSize, frame[0] == 0x01 else { return nil }
        var r = ByteReader(frame)
        _ = try? r.readUInt8()
        guard let op = try? r.readUInt8(), (try? r.readUInt16LE()) != nil, let value = try? r.readUInt32LE() else { return nil }
        opcode = op
        self.value = value
        data = Array(frame[Self.headerSize...])
    }

    /// The two meaningful status bytes, read at `payloadLength` (what the command returns before its status),
    /// or at the start when the reply is shorter — esptool 5's rule, which works for ROM and stub alike.
    public func status(payloadLength: Int = 0) -> (failed: Bool, error: UInt8) {
        let at = data.count >= payloadLength + 2 ? payloadLength : 0
        guard data.count >= at + 2 else { return (true, RomError.invalidMessage.rawValue) }
        return (data[at] != 0, data[at + 1])
    }

    /// The bytes before the status.
    public func payload(length: Int) -> [UInt8] { Array(data.prefix(length)) }
}
