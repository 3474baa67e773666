import ChipEmulator
import ImageFormats
import SerialBootloader

/// Drives the emulated ROM with raw requests, as a host would.
public struct RawHost {
    public let device: EmulatedDevice

    public init(_ chip: Chip, flashSize: Int = 4 << 20) {
        device = EmulatedDevice(profile: .profile(for: chip)!, flashSize: flashSize)
    }

    public init(device: EmulatedDevice) { self.device = device }

    public static func words(_ values: [UInt32]) -> [UInt8] {
        values.flatMap { w in [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(w >> 24)] }
    }

    /// Sends one request and returns the replies.
    public func send(_ opcode: Opcode, _ data: [UInt8] = [], checksum: UInt32 = 0) -> [ResponsePacket] {
        device.handle(frame: CommandPacket(opcode, data: data, checksum: checksum).bytes).replies.compactMap { ResponsePacket(frame: $0) }
    }

    public func ok(_ opcode: Opcode, _ data: [UInt8] = [], checksum: UInt32 = 0) -> Bool {
        guard let r = send(opcode, data, checksum: checksum).first else { return false }
        return r.opcode == opcode.rawValue && !r.status().failed
    }

    public func begin(_ opcode: Opcode = .flashBegin, size: UInt32, blocks: UInt32 = 1, blockSize: UInt32 = 0x400, offset: UInt32) -> [ResponsePacket] {
        let five = device.profile.loader.flashBeginWords == 5
        return send(opcode, Self.words([size, blocks, blockSize, offset] + (five ? [0] : [])))
    }

    public func dataBlock(_ payload: [UInt8], opcode: Opcode = .flashData, seq: UInt32 = 0) -> [ResponsePacket] {
        send(opcode, Self.words([UInt32(payload.count), seq, 0, 0]) + payload, checksum: CommandPacket.checksum(of: payload))
    }

    /// "ok", "error 0xNN", or "no reply", for the first reply.
    public static func outcome(_ replies: [ResponsePacket]) -> String {
        guard let r = replies.first else { return "no reply" }
        let s = r.status()
        return s.failed ? "error 0x" + String(s.error, radix: 16) : "ok"
    }

    public static func failure(_ e: RomError) -> String { "error 0x" + String(e.rawValue, radix: 16) }

    public func md5(_ offset: UInt32, _ size: UInt32) -> String? {
        guard let r = send(.spiFlashMD5, Self.words([offset, size, 0, 0])).first, !r.status(payloadLength: 32).failed else { return nil }
        return String(decoding: r.payload(length: 32), as: UTF8.self)
    }
}
