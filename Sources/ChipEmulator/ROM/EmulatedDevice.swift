import Crypto
import ImageFormats
import SerialBootloader

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
        self.mac = mac ?? [0x24, 0x0A, 0xC4, 0x5E, 0x00, UInt8(RomProfile.emulatedChips.firstIndex(of: profile.chip)! + 1)]
        registers = profile.fixedRegisters
        let m = self.mac
        registers[profile.loader.macWords.low] = UInt32(m[2]) << 24 | UInt32(m[3]) << 16 | UInt32(m[4]) << 8 | UInt32(m[5])
        registers[profile.loader.macWords.high] = UInt32(m[0]) << 8 | UInt32(m[1])
    }

    /// Changes flash bytes behind the loader's back (for tests of verification).
    public func tamper(with data: [UInt8], at offset: Int) { flash.overwrite(data, at: offset) }

    /// Makes the sector holding `offset` a worn-out one: it erases, but programming leaves it unchanged.
    public func wearOut(sectorContaining offset: Int) { flash.wearOut(sectorContaining: offset) }

    /// Erases the sectors covering the range (the running firmware's flash driver; the caller checks bounds).
    func flashEraseSectors(address: Int, length: Int) { flash.eraseSectors(covering: address, length: length) }

    /// Programs bytes with NOR semantics (the running firmware's flash driver; the caller checks bounds).
    func flashProgram(_ bytes: [UInt8], address: Int) { flash.program(bytes, at: address) }

    // MARK: - Requests

    public func handle(frame: [UInt8]) -> Output {
        guard let packet = CommandPacket(frame: frame) else { return Output() }  // the ROM ignores non-requests
        var out = Output()
        let request: LoaderRequest
        do throws(LoaderRequest.DecodeError) {
            request = try LoaderRequest(packet: packet)
        } catch {
            if let opcode = Opcode(rawValue: error.opcode) {
                out.replies = [reply(opcode, error: error.romError)]
            } else {
                out.replies = unsupported()
            }
            return out
        }
        let opcode = request.opcode
        switch request {
        case .sync:
            // The ROM answers a SYNC eight times.
            out.replies = Array(repeating: reply(opcode, value: Self.syncValue), count: 8)
        case .readRegister(let address):
            out.replies = [reply(opcode, value: readRegister(address))]
        case .writeRegister(let writes):
            writeRegisters(writes)
            out.replies = [reply(opcode)]
        case .getSecurityInfo:
            guard let chipID = profile.securityInfoChipID else { out.replies = unsupported(); break }
            // No secure boot, no secure download mode, flash encryption off.
            out.replies = [reply(opcode, data: SecurityInfo(chipID: chipID, ecoVersion: 0).bytes)]
        case .spiAttach(_, let romPadding):
            out.replies = [reply(opcode, error: romPadding ? nil : .invalidMessage)]
        case .spiSetParameters(let parameters):
            configuredFlashSize = Int(parameters.totalSize)
            out.replies = [reply(opcode)]
        case .changeBaudRate(let rate, _):
            guard rate > 0 else { out.replies = [reply(opcode, error: .invalidParameter)]; break }
            out.replies = [reply(opcode)]
            out.newBaudRate = Int(rate)
            baudRate = Int(rate)
        case .flashBegin(let begin), .flashDeflBegin(let begin):
            out = self.begin(opcode, begin)
        case .flashData(let block), .flashDeflData(let block):
            out = data(opcode, block)
        case .flashEnd, .flashDeflEnd:
            write = nil
            out.replies = [reply(opcode)]
        case .spiFlashMD5(let offset, let size):
            out.replies = [md5(offset, size)]
        case .readFlashSlow(let offset, let length):
            guard length <= 64, Int(offset) + 64 <= flash.size else { out.replies = [reply(opcode, error: .flashReadLengthError)]; break }
            out.replies = [reply(opcode, data: Array(flash.read(Int(offset), 64)))]
        case .memBegin(let begin):
            memSession = (begin.address, 0)
            ram[begin.address] = []
            out.replies = [reply(opcode)]
        case .memData(let block):
            guard let session = memSession else { out.replies = [reply(opcode, error: .failedToAct)]; break }
            ram[session.address, default: []] += block.payload
            memSession = (session.address, session.cursor + block.payload.count)
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

    private func begin(_ opcode: Opcode, _ begin: LoaderRequest.FlashBegin) -> Output {
        var out = Output()
        // The ESP32 ROM takes exactly 4 words; later ROMs also take the 5th (`encrypted`), which esptool always sends.
        guard profile.loader.flashBeginWords == 5 || begin.encrypted == nil else {
            out.replies = [reply(opcode, error: .invalidMessage)]
            return out
        }
        let end = Int(begin.offset) + Int(begin.size)
        guard end <= min(configuredFlashSize, flash.size) else {
            // Beyond the size the ROM knows (2 MB before SPI_SET_PARAMS): the erase fails.
            write = nil
            out.replies = [reply(opcode, error: .failedToAct)]
            return out
        }
        let erased = flash.eraseSectors(covering: Int(begin.offset), length: Int(begin.size))
        out.busySeconds = timing.eraseTime(sectors: erased)
        if opcode == .flashDeflBegin {
            guard let inflater = try? Inflater() else { out.replies = [reply(opcode, error: .mallocFailed)]; return out }
            write = .deflate(cursor: Int(begin.offset), inflater: inflater)
        } else {
            write = .plain(cursor: Int(begin.offset))
        }
        out.replies = [reply(opcode)]
        return out
    }

    /// Writes at the session's cursor, whatever the block's sequence number says (the ROM's handling of sequence
    /// numbers is undocumented, so a repeated block is simply written, or inflated, again).
    private func data(_ opcode: Opcode, _ block: LoaderRequest.DataBlock) -> Output {
        var out = Output()
        var bytes = block.payload
        var cursor: Int
        switch (opcode, write) {
        case (.flashData, .plain(let c)?):
            cursor = c
        case (.flashDeflData, .deflate(let c, let inflater)?):
            cursor = c
            do { bytes = try inflater.inflate(block.payload) } catch {
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

    private func md5(_ offset: UInt32, _ size: UInt32) -> [UInt8] {
        guard Int(offset) + Int(size) <= flash.size else { return reply(.spiFlashMD5, error: .flashReadLengthError) }
        let digest = Insecure.MD5.hash(data: flash.read(Int(offset), Int(size)))
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
}
