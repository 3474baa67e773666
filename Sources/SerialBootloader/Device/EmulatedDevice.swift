import Crypto
import ImageFormats

/// The ROM serial loader of an ESP32, ESP32-S3 or ESP32-C3 in download mode, as a state machine: a request frame
/// in, reply frames out. It keeps a NOR flash and the registers esptool reads; it does no I/O itself
/// (`EmulatorServer` and `InProcessTransport` move the bytes).
public final class EmulatedDevice {
    public let profile: RomProfile
    public private(set) var flash: NORFlash
    public let timing: FlashTiming
    /// The 6-byte base MAC the eFuse words report.
    public let mac: [UInt8]
    /// The UART rate the ROM currently runs at (after CHANGE_BAUDRATE).
    public private(set) var baudRate: Int = 115_200
    /// Flash size the ROM works with: 2 MB until SPI_SET_PARAMS says otherwise, as on the real ROM.
    public private(set) var configuredFlashSize = 2 * 1024 * 1024

    var registers: [UInt32: UInt32] = [:]
    var write: WriteSession?
    var ram: [UInt32: [UInt8]] = [:]
    var memSession: (address: UInt32, cursor: Int)?

    enum WriteSession {
        case plain(cursor: Int)
        case deflate(cursor: Int, inflater: Inflater)
    }

    /// The answer to one request.
    public struct Output {
        /// Reply packets (unframed), in order.
        public var replies: [[UInt8]] = []
        /// Seconds the chip is busy (erasing, programming) before the first reply.
        public var busySeconds: Double = 0
        /// The UART rate to switch to after the replies are sent.
        public var newBaudRate: Int?
    }

    /// The SYNC reply value of the ROM (`0x20120707`).
    public static let syncValue: UInt32 = 0x2012_0707

    public init(profile: RomProfile, flashSize: Int = 4 * 1024 * 1024, flashContents: [UInt8]? = nil,
                timing: FlashTiming = .none, mac: [UInt8]? = nil) {
        self.profile = profile
        self.flash = flashContents.map { NORFlash(size: flashSize, contents: $0) } ?? NORFlash(size: flashSize)
        self.timing = timing
        // Espressif's OUI and a per-chip suffix, unless given.
        self.mac = mac ?? [0x24, 0x0A, 0xC4, 0x5E, 0x00, UInt8(RomProfile.Chip.allCases.firstIndex(of: profile.chip)! + 1)]
        registers = profile.fixedRegisters
        let m = self.mac
        registers[profile.macWordAddresses.low] = UInt32(m[2]) << 24 | UInt32(m[3]) << 16 | UInt32(m[4]) << 8 | UInt32(m[5])
        registers[profile.macWordAddresses.high] = UInt32(m[0]) << 8 | UInt32(m[1])
    }

    /// Changes flash bytes behind the loader's back (for tests of verification).
    public func tamper(with data: [UInt8], at offset: Int) { flash.overwrite(data, at: offset) }

    // MARK: - Requests

    public func handle(frame: [UInt8]) -> Output {
        guard let packet = CommandPacket(frame: frame) else { return Output() }  // the ROM ignores non-requests
        var out = Output()
        guard let opcode = Opcode(rawValue: packet.opcode) else {
            out.replies = unsupported()
            return out
        }
        if packet.declaredSize != packet.data.count {
            out.replies = [reply(opcode, error: .invalidMessage)]
            return out
        }
        switch opcode {
        case .sync:
            let pattern: [UInt8] = [0x07, 0x07, 0x12, 0x20] + Array(repeating: 0x55, count: 32)
            guard packet.data == pattern else { out.replies = [reply(opcode, error: .invalidMessage)]; break }
            // The ROM answers a SYNC eight times.
            out.replies = Array(repeating: reply(opcode, value: Self.syncValue), count: 8)
        case .readReg:
            guard let address = word(packet.data, 0), packet.data.count == 4 else { out.replies = [reply(opcode, error: .invalidMessage)]; break }
            out.replies = [reply(opcode, value: readRegister(address))]
        case .writeReg:
            out.replies = [writeRegisters(packet.data)]
        case .getSecurityInfo:
            guard let chipID = profile.securityInfoChipID else { out.replies = unsupported(); break }
            var info = ByteWriter()
            info.writeUInt32LE(0)  // flags: no secure boot, no secure download mode
            info.write(0)  // flash_crypt_cnt
            info.write(contentsOf: [UInt8](repeating: 0, count: 7))  // key purposes
            info.writeUInt32LE(chipID)
            info.writeUInt32LE(0)  // eco version
            out.replies = [reply(opcode, data: info.bytes)]
        case .spiAttach:
            out.replies = [reply(opcode, error: packet.data.count == 8 ? nil : .invalidMessage)]
        case .spiSetParams:
            guard packet.data.count == 24, let total = word(packet.data, 4) else { out.replies = [reply(opcode, error: .invalidMessage)]; break }
            configuredFlashSize = Int(total)
            out.replies = [reply(opcode)]
        case .changeBaudrate:
            guard packet.data.count == 8, let rate = word(packet.data, 0), rate > 0 else { out.replies = [reply(opcode, error: .invalidMessage)]; break }
            out.replies = [reply(opcode)]
            out.newBaudRate = Int(rate)
            baudRate = Int(rate)
        case .flashBegin, .flashDeflBegin:
            out = begin(opcode, packet.data)
        case .flashData, .flashDeflData:
            out = data(opcode, packet)
        case .flashEnd, .flashDeflEnd:
            write = nil
            out.replies = [reply(opcode)]
        case .spiFlashMD5:
            out.replies = [md5(packet.data)]
        case .readFlashSlow:
            guard packet.data.count == 8, let offset = word(packet.data, 0), let length = word(packet.data, 4), length <= 64,
                  Int(offset) + 64 <= flash.size else { out.replies = [reply(opcode, error: .flashReadLengthError)]; break }
            out.replies = [reply(opcode, data: Array(flash.read(Int(offset), 64)))]
        case .memBegin:
            guard packet.data.count == 16, let address = word(packet.data, 12) else { out.replies = [reply(opcode, error: .invalidMessage)]; break }
            memSession = (address, 0)
            ram[address] = []
            out.replies = [reply(opcode)]
        case .memData:
            guard let session = memSession, let payload = checkedPayload(packet) else {
                out.replies = [reply(opcode, error: memSession == nil ? .failedToAct : .badChecksum)]; break
            }
            ram[session.address, default: []] += payload
            memSession = (session.address, session.cursor + payload.count)
            out.replies = [reply(opcode)]
        case .memEnd:
            // Accepted and stored, never executed: the emulated chip stays in its loader.
            memSession = nil
            out.replies = [reply(opcode)]
        case .eraseFlash, .eraseRegion, .readFlash, .runUserCode:
            out.replies = unsupported()  // stub-only commands
        }
        return out
    }

    // MARK: - Flash writes

    private func begin(_ opcode: Opcode, _ data: [UInt8]) -> Output {
        var out = Output()
        guard data.count == profile.beginWords * 4 || (profile.beginWords == 5 && data.count == 16),
              let size = word(data, 0), let offset = word(data, 12) else {
            out.replies = [reply(opcode, error: .invalidMessage)]
            return out
        }
        let end = Int(offset) + Int(size)
        guard end <= min(configuredFlashSize, flash.size) else {
            // Beyond the size the ROM knows (2 MB before SPI_SET_PARAMS): the erase fails.
            write = nil
            out.replies = [reply(opcode, error: .failedToAct)]
            return out
        }
        let erased = flash.eraseSectors(covering: Int(offset), length: Int(size))
        out.busySeconds = timing.eraseTime(sectors: erased)
        if opcode == .flashDeflBegin {
            guard let inflater = try? Inflater() else { out.replies = [reply(opcode, error: .mallocFailed)]; return out }
            write = .deflate(cursor: Int(offset), inflater: inflater)
        } else {
            write = .plain(cursor: Int(offset))
        }
        out.replies = [reply(opcode)]
        return out
    }

    private func data(_ opcode: Opcode, _ packet: CommandPacket) -> Output {
        var out = Output()
        guard let payload = checkedPayload(packet) else {
            let malformed = packet.data.count < 16
            out.replies = [reply(opcode, error: malformed ? .invalidMessage : .badChecksum)]
            return out
        }
        var bytes = payload
        var cursor: Int
        switch (opcode, write) {
        case (.flashData, .plain(let c)?):
            cursor = c
        case (.flashDeflData, .deflate(let c, let inflater)?):
            cursor = c
            do { bytes = try inflater.inflate(payload) } catch {
                write = nil
                out.replies = [reply(opcode, error: .deflateError)]
                return out
            }
        default:
            out.replies = [reply(opcode, error: .failedToAct)]
            return out
        }
        guard cursor + bytes.count <= min(configuredFlashSize, flash.size) else {
            out.replies = [reply(opcode, error: .flashWriteError)]
            return out
        }
        flash.program(bytes, at: cursor)
        out.busySeconds = timing.programTime(offset: cursor, length: bytes.count)
        cursor += bytes.count
        switch write {
        case .plain?: write = .plain(cursor: cursor)
        case .deflate(_, let inflater)?: write = .deflate(cursor: cursor, inflater: inflater)
        case nil: break
        }
        out.replies = [reply(opcode)]
        return out
    }

    /// The data of a `_DATA` command after its 16-byte header, if the length and checksum are right.
    private func checkedPayload(_ packet: CommandPacket) -> [UInt8]? {
        guard packet.data.count >= 16, let length = word(packet.data, 0), packet.data.count == 16 + Int(length) else { return nil }
        let payload = Array(packet.data[16...])
        guard CommandPacket.checksum(of: payload) == packet.checksum else { return nil }
        return payload
    }

    private func md5(_ data: [UInt8]) -> [UInt8] {
        guard data.count == 16, let address = word(data, 0), let size = word(data, 4),
              Int(address) + Int(size) <= flash.size else { return reply(.spiFlashMD5, error: .flashReadLengthError) }
        let digest = Insecure.MD5.hash(data: flash.read(Int(address), Int(size)))
        // The ROM answers with 32 lower-case hex characters (stubs send 16 raw bytes).
        let text = digest.map { b in let s = String(b, radix: 16); return s.count == 1 ? "0" + s : s }.joined()
        return reply(.spiFlashMD5, data: Array(text.utf8))
    }

    // MARK: - Replies

    func reply(_ opcode: Opcode, value: UInt32 = 0, data: [UInt8] = [], error: RomError? = nil) -> [UInt8] {
        let status: [UInt8] = error.map { [1, $0.rawValue, 0, 0] } ?? [0, 0, 0, 0]
        return ResponsePacket(opcode: opcode.rawValue, value: value, data: data + status).bytes
    }

    /// What the ROM sends for a command it does not have: eight short replies with status `01 05`, which
    /// esptool recognises by that status on a reply that does not echo the request's opcode.
    func unsupported() -> [[UInt8]] {
        let packet = ResponsePacket(opcode: 0x00, value: 0, data: [1, RomError.invalidMessage.rawValue, 0, 0]).bytes
        return Array(repeating: packet, count: 8)
    }

    func word(_ data: [UInt8], _ offset: Int) -> UInt32? {
        guard data.count >= offset + 4 else { return nil }
        return UInt32(data[offset]) | UInt32(data[offset + 1]) << 8 | UInt32(data[offset + 2]) << 16 | UInt32(data[offset + 3]) << 24
    }
}
