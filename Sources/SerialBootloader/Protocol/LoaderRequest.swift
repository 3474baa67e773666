import ImageFormats

/// Every request esptool sends to a ROM loader or stub, with typed fields (shared/reference/esptool.md §2.1).
/// `packet` encodes it for the wire (host side); `init(packet:)` decodes a received one (device side).
public enum LoaderRequest: Equatable, Sendable {
    case flashBegin(FlashBegin)
    case flashData(DataBlock)
    /// `runUserCode`: the single word is 1 to stay in the loader (stub) or run user code (ROM), 0 to reboot.
    case flashEnd(runUserCode: Bool)
    case memBegin(MemBegin)
    case memData(DataBlock)
    case memEnd(MemEnd)
    case sync
    case writeRegister([RegisterWrite])
    case readRegister(address: UInt32)
    case spiSetParameters(SPIParameters)
    /// The ROM takes 4 extra zero bytes after the configuration word (`is_legacy` and padding); stubs do not.
    case spiAttach(configuration: UInt32, romPadding: Bool)
    case readFlashSlow(offset: UInt32, length: UInt32)
    /// `oldBaudRate` is 0 for the ROM; stubs use it to re-time their UART.
    case changeBaudRate(newBaudRate: UInt32, oldBaudRate: UInt32)
    case flashDeflBegin(FlashBegin)
    case flashDeflData(DataBlock)
    case flashDeflEnd(runUserCode: Bool)
    case spiFlashMD5(offset: UInt32, size: UInt32)
    case getSecurityInfo
    // Stub-only commands
    case eraseFlash
    case eraseRegion(offset: UInt32, size: UInt32)
    case readFlash(offset: UInt32, length: UInt32, packetSize: UInt32, maxInFlight: UInt32)
    case runUserCode

    /// FLASH_BEGIN / FLASH_DEFL_BEGIN. `encrypted` is the 5th word, which the ESP32 ROM does not take (nil = 4 words).
    public struct FlashBegin: Equatable, Sendable {
        /// Bytes to erase (FLASH_BEGIN) or the uncompressed size (FLASH_DEFL_BEGIN: rounded up to the block size for
        /// the ROM, exact for stubs).
        public var size: UInt32
        public var blockCount: UInt32
        public var blockSize: UInt32
        public var offset: UInt32
        public var encrypted: UInt32?

        public init(size: UInt32, blockCount: UInt32, blockSize: UInt32, offset: UInt32, encrypted: UInt32? = nil) {
            self.size = size
            self.blockCount = blockCount
            self.blockSize = blockSize
            self.offset = offset
            self.encrypted = encrypted
        }
    }

    /// The `_DATA` commands: `length, sequence, 0, 0`, then the data, which the 0xEF checksum covers.
    public struct DataBlock: Equatable, Sendable {
        public var sequence: UInt32
        public var payload: [UInt8]

        public init(sequence: UInt32, payload: [UInt8]) {
            self.sequence = sequence
            self.payload = payload
        }
    }

    public struct MemBegin: Equatable, Sendable {
        public var totalSize: UInt32, blockCount: UInt32, blockSize: UInt32, address: UInt32

        public init(totalSize: UInt32, blockCount: UInt32, blockSize: UInt32, address: UInt32) {
            self.totalSize = totalSize
            self.blockCount = blockCount
            self.blockSize = blockSize
            self.address = address
        }
    }

    /// MEM_END: `[entry == 0 ? 1 : 0, entry]` as esptool sends it.
    public struct MemEnd: Equatable, Sendable {
        public var noEntry: Bool
        public var entry: UInt32

        public init(entry: UInt32) {
            self.entry = entry
            noEntry = entry == 0
        }
    }

    /// One WRITE_REG entry: `address, value, mask, delay µs`.
    public struct RegisterWrite: Equatable, Sendable {
        public var address: UInt32, value: UInt32, mask: UInt32, delayMicroseconds: UInt32

        public init(address: UInt32, value: UInt32, mask: UInt32 = 0xFFFF_FFFF, delayMicroseconds: UInt32 = 0) {
            self.address = address
            self.value = value
            self.mask = mask
            self.delayMicroseconds = delayMicroseconds
        }
    }

    /// SPI_SET_PARAMS: `id, total size, block, sector, page, status mask` (esptool sends 0, SIZE, 64K, 4K, 256, 0xFFFF).
    public struct SPIParameters: Equatable, Sendable {
        public var id: UInt32 = 0
        public var totalSize: UInt32
        public var blockSize: UInt32 = 0x10000
        public var sectorSize: UInt32 = 0x1000
        public var pageSize: UInt32 = 0x100
        public var statusMask: UInt32 = 0xFFFF

        public init(totalSize: UInt32) { self.totalSize = totalSize }
    }

    public var opcode: Opcode {
        switch self {
        case .flashBegin: .flashBegin
        case .flashData: .flashData
        case .flashEnd: .flashEnd
        case .memBegin: .memBegin
        case .memData: .memData
        case .memEnd: .memEnd
        case .sync: .sync
        case .writeRegister: .writeReg
        case .readRegister: .readReg
        case .spiSetParameters: .spiSetParams
        case .spiAttach: .spiAttach
        case .readFlashSlow: .readFlashSlow
        case .changeBaudRate: .changeBaudrate
        case .flashDeflBegin: .flashDeflBegin
        case .flashDeflData: .flashDeflData
        case .flashDeflEnd: .flashDeflEnd
        case .spiFlashMD5: .spiFlashMD5
        case .getSecurityInfo: .getSecurityInfo
        case .eraseFlash: .eraseFlash
        case .eraseRegion: .eraseRegion
        case .readFlash: .readFlash
        case .runUserCode: .runUserCode
        }
    }

    /// The SYNC payload: `07 07 12 20` and 32 × `55`.
    public static let syncPayload: [UInt8] = [0x07, 0x07, 0x12, 0x20] + Array(repeating: 0x55, count: 32)
}

extension LoaderRequest {
    /// The request as a packet, checksum included for the `_DATA` commands.
    public var packet: CommandPacket {
        func words(_ values: [UInt32]) -> [UInt8] {
            var w = ByteWriter(capacity: values.count * 4)
            for v in values { w.writeUInt32LE(v) }
            return w.bytes
        }
        func begin(_ b: FlashBegin) -> [UInt8] { words([b.size, b.blockCount, b.blockSize, b.offset] + (b.encrypted.map { [$0] } ?? [])) }
        func block(_ op: Opcode, _ d: DataBlock) -> CommandPacket {
            CommandPacket(op, data: words([UInt32(d.payload.count), d.sequence, 0, 0]) + d.payload,
                          checksum: CommandPacket.checksum(of: d.payload))
        }
        switch self {
        case .flashBegin(let b): return CommandPacket(.flashBegin, data: begin(b))
        case .flashDeflBegin(let b): return CommandPacket(.flashDeflBegin, data: begin(b))
        case .flashData(let d): return block(.flashData, d)
        case .flashDeflData(let d): return block(.flashDeflData, d)
        case .memData(let d): return block(.memData, d)
        case .flashEnd(let run): return CommandPacket(.flashEnd, data: words([run ? 1 : 0]))
        case .flashDeflEnd(let run): return CommandPacket(.flashDeflEnd, data: words([run ? 1 : 0]))
        case .memBegin(let m): return CommandPacket(.memBegin, data: words([m.totalSize, m.blockCount, m.blockSize, m.address]))
        case .memEnd(let m): return CommandPacket(.memEnd, data: words([m.noEntry ? 1 : 0, m.entry]))
        case .sync: return CommandPacket(.sync, data: Self.syncPayload)
        case .writeRegister(let writes):
            return CommandPacket(.writeReg, data: words(writes.flatMap { [$0.address, $0.value, $0.mask, $0.delayMicroseconds] }))
        case .readRegister(let address): return CommandPacket(.readReg, data: words([address]))
        case .spiSetParameters(let p):
            return CommandPacket(.spiSetParams, data: words([p.id, p.totalSize, p.blockSize, p.sectorSize, p.pageSize, p.statusMask]))
        case .spiAttach(let configuration, let pad):
            return CommandPacket(.spiAttach, data: words(pad ? [configuration, 0] : [configuration]))
        case .readFlashSlow(let offset, let length): return CommandPacket(.readFlashSlow, data: words([offset, length]))
        case .changeBaudRate(let new, let old): return CommandPacket(.changeBaudrate, data: words([new, old]))
        case .spiFlashMD5(let offset, let size): return CommandPacket(.spiFlashMD5, data: words([offset, size, 0, 0]))
        case .getSecurityInfo: return CommandPacket(.getSecurityInfo)
        case .eraseFlash: return CommandPacket(.eraseFlash)
        case .eraseRegion(let offset, let size): return CommandPacket(.eraseRegion, data: words([offset, size]))
        case .readFlash(let offset, let length, let packetSize, let inFlight):
            return CommandPacket(.readFlash, data: words([offset, length, packetSize, inFlight]))
        case .runUserCode: return CommandPacket(.runUserCode)
        }
    }

    /// Why a received packet is not a valid request; `romError` is what a ROM answers.
    public struct DecodeError: Error, Equatable, Sendable {
        public let opcode: UInt8
        public let romError: RomError

        public init(opcode: UInt8, romError: RomError) {
            self.opcode = opcode
            self.romError = romError
        }
    }

    /// Decodes a received request: unknown opcodes, wrong lengths and bad data checksums are errors carrying the
    /// status byte the ROM replies with.
    public init(packet: CommandPacket) throws(DecodeError) {
        let fail = { (e: RomError) in DecodeError(opcode: packet.opcode, romError: e) }
        guard let op = Opcode(rawValue: packet.opcode) else { throw fail(.invalidMessage) }
        guard packet.declaredSize == nil || packet.declaredSize == packet.data.count else { throw fail(.invalidMessage) }
        let d = packet.data
        func words(_ count: Int) throws(DecodeError) -> [UInt32] {
            guard d.count == count * 4 else { throw fail(.invalidMessage) }
            var r = ByteReader(d)
            return (0..<count).map { _ in (try? r.readUInt32LE()) ?? 0 }
        }
        func begin() throws(DecodeError) -> FlashBegin {
            let w = d.count == 20 ? try words(5) : try words(4)
            return FlashBegin(size: w[0], blockCount: w[1], blockSize: w[2], offset: w[3], encrypted: w.count == 5 ? w[4] : nil)
        }
        func block() throws(DecodeError) -> DataBlock {
            guard d.count >= 16 else { throw fail(.invalidMessage) }
            var r = ByteReader(d)
            let length = (try? r.readUInt32LE()) ?? 0, sequence = (try? r.readUInt32LE()) ?? 0
            guard d.count == 16 + Int(length) else { throw fail(.invalidMessage) }
            let payload = Array(d[16...])
            guard CommandPacket.checksum(of: payload) == packet.checksum else { throw fail(.badChecksum) }
            return DataBlock(sequence: sequence, payload: payload)
        }
        switch op {
        case .flashBegin: self = .flashBegin(try begin())
        case .flashDeflBegin: self = .flashDeflBegin(try begin())
        case .flashData: self = .flashData(try block())
        case .flashDeflData: self = .flashDeflData(try block())
        case .memData: self = .memData(try block())
        case .flashEnd: self = .flashEnd(runUserCode: try words(1)[0] != 0)
        case .flashDeflEnd: self = .flashDeflEnd(runUserCode: try words(1)[0] != 0)
        case .memBegin:
            let w = try words(4)
            self = .memBegin(MemBegin(totalSize: w[0], blockCount: w[1], blockSize: w[2], address: w[3]))
        case .memEnd:
            let w = try words(2)
            self = .memEnd(MemEnd(entry: w[1]))
        case .sync:
            guard d == Self.syncPayload else { throw fail(.invalidMessage) }
            self = .sync
        case .writeReg:
            guard !d.isEmpty, d.count % 16 == 0 else { throw fail(.invalidMessage) }
            let w = try words(d.count / 4)
            self = .writeRegister(stride(from: 0, to: w.count, by: 4).map {
                RegisterWrite(address: w[$0], value: w[$0 + 1], mask: w[$0 + 2], delayMicroseconds: w[$0 + 3])
            })
        case .readReg: self = .readRegister(address: try words(1)[0])
        case .spiSetParams:
            let w = try words(6)
            var p = SPIParameters(totalSize: w[1])
            (p.id, p.blockSize, p.sectorSize, p.pageSize, p.statusMask) = (w[0], w[2], w[3], w[4], w[5])
            self = .spiSetParameters(p)
        case .spiAttach:
            let w = d.count == 8 ? try words(2) : try words(1)
            self = .spiAttach(configuration: w[0], romPadding: w.count == 2)
        case .readFlashSlow:
            let w = try words(2)
            self = .readFlashSlow(offset: w[0], length: w[1])
        case .changeBaudrate:
            let w = try words(2)
            self = .changeBaudRate(newBaudRate: w[0], oldBaudRate: w[1])
        case .spiFlashMD5:
            let w = try words(4)
            self = .spiFlashMD5(offset: w[0], size: w[1])
        case .getSecurityInfo: self = .getSecurityInfo
        case .eraseFlash: self = .eraseFlash
        case .eraseRegion:
            let w = try words(2)
            self = .eraseRegion(offset: w[0], size: w[1])
        case .readFlash:
            let w = try words(4)
            self = .readFlash(offset: w[0], length: w[1], packetSize: w[2], maxInFlight: w[3])
        case .runUserCode: self = .runUserCode
        }
    }
}
