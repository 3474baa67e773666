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

    public var bytes: [UInt8] { PacketHeader.encode(direction: PacketHeader.request, opcode: opcode, word: checksum, data: data) }

    /// Parses a frame sent by a host. Returns nil for frames that are not requests (wrong direction, short).
    public init?(frame: [UInt8]) {
        guard let header = PacketHeader(frame: frame, direction: PacketHeader.request) else { return nil }
        opcode = header.opcode
        checksum = header.word
        // A size field that disagrees with the frame is kept as the frame says; the device answers with an error.
        data = Array(frame[PacketHeader.size...])
        declaredSize = header.declaredSize
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

    public var bytes: [UInt8] { PacketHeader.encode(direction: PacketHeader.response, opcode: opcode, word: value, data: data) }

    /// Parses a frame from a device; nil for frames that are not replies (esptool skips those too).
    public init?(frame: [UInt8]) {
        guard let header = PacketHeader(frame: frame, direction: PacketHeader.response) else { return nil }
        opcode = header.opcode
        value = header.word
        data = Array(frame[PacketHeader.size...])
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

/// The 8-byte header both packet kinds share: `direction op size(u16) word(u32)`, where the word is the data
/// checksum of a request or the value of a reply.
struct PacketHeader {
    static let size = 8
    static let request: UInt8 = 0x00
    static let response: UInt8 = 0x01

    let opcode: UInt8
    let declaredSize: Int
    let word: UInt32

    init?(frame: [UInt8], direction: UInt8) {
        guard frame.count >= Self.size, frame[0] == direction else { return nil }
        var r = ByteReader(frame, offset: 1)
        guard let op = try? r.readUInt8(), let length = try? r.readUInt16LE(), let word = try? r.readUInt32LE() else { return nil }
        opcode = op
        declaredSize = Int(length)
        self.word = word
    }

    static func encode(direction: UInt8, opcode: UInt8, word: UInt32, data: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: size + data.count)
        w.write(direction)
        w.write(opcode)
        w.writeUInt16LE(UInt16(data.count))
        w.writeUInt32LE(word)
        w.write(contentsOf: data)
        return w.bytes
    }
}
