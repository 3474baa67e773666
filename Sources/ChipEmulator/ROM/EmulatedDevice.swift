import Crypto
import ImageFormats
import SerialBootloader

/// The ROM serial loader of any chip of the table in download mode, as a state machine: a request frame in,
/// reply frames out. It keeps a NOR flash and the registers esptool reads (eFuse MAC, revision and security words,
/// SPI controller, UART divider, watchdogs); it does no I/O itself (`EmulatorServer` and `InProcessTransport` move
/// the bytes, `EmulatedBoard` resets it).
///
/// Modelled as on silicon: flash addresses are 24 bits (at or past 16 MB they wrap to the start); CHANGE_BAUDRATE
/// sets a divider from the clock the ROM believes it has, so the real rate is `sent × crystal / ROM clock`;
/// Secure Download Mode refuses every command but the few it allows; the RTC and super watchdog registers honour
/// their write-protect keys.
public final class EmulatedDevice {
    public let profile: RomProfile
    public let configuration: ChipConfiguration
    public private(set) var flash: NORFlash
    public let timing: FlashTiming
    /// The 6-byte base MAC the eFuse words report.
    public let mac: [UInt8]
    /// The crystal in MHz.
    public let crystalMHz: Int
    /// The UART rate the ROM really runs at after CHANGE_BAUDRATE; nil while it auto-bauds (after reset it follows
    /// whatever rate the host's SYNC comes at).
    public internal(set) var baudRate: Int?
    /// Flash size the ROM works with: 2 MB until SPI_SET_PARAMS says otherwise, as on the real ROM.
    public internal(set) var configuredFlashSize = 2 * 1024 * 1024
    /// Bytes hashed by SPI_FLASH_MD5 since power-on (the cost a benchmark reports).
    public private(set) var hashedBytes = 0
    /// A flasher stub runs instead of the ROM loader until the next reset.
    public private(set) var stubRunning: Bool
    /// Registers forced to a value whatever the chip would say (a test hook, e.g. a UART divider that misleads the
    /// host's crystal estimate).
    public var registerOverrides: [UInt32: UInt32] = [:]
    /// The host's line rate where the link knows it (a pty's or RFC 2217 server's setting): what the ROM auto-bauds to.
    public var lineBaudHint: Int?

    /// Memory and registers by word address (see `EmulatedMemoryMap`).
    var registers: [UInt32: UInt32] = [:]
    var write: WriteSession?
    var memSession: MemSession?
    /// The SPI flash chip's command side (status registers, SFDP).
    var spiFlash: SPIFlashModel
    /// Set once the chip left its loader (MEM_END with an entry point, FLASH_END asking to run the app): it no
    /// longer answers loader commands until it is reset.
    public internal(set) var running: RunningCode?
    /// Times a READ_REG or WRITE_REG of an unmapped address crashed the chip back into its loader.
    public internal(set) var crashes = 0

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
                timing: FlashTiming = .none, mac: [UInt8]? = nil, configuration: ChipConfiguration = ChipConfiguration()) {
        self.profile = profile
        self.configuration = configuration
        self.flash = flashContents.map { NORFlash(size: flashSize, contents: $0) } ?? NORFlash(size: flashSize)
        self.timing = timing
        // Espressif's OUI and a per-chip suffix, unless given.
        self.mac = mac ?? [0x24, 0x0A, 0xC4, 0x5E, 0x00, profile.macSuffix]
        crystalMHz = configuration.crystalMHz ?? profile.defaultCrystalMHz
        stubRunning = configuration.stubRunning
        spiFlash = SPIFlashModel(size: flashSize)
        registers = bootRegisters()
    }

    /// The registers as the ROM starts: eFuses (revision, MAC, security), calibration, and watchdogs as a reset
    /// through USB leaves them (running) or a power-on reset does (stopped).
    private func bootRegisters() -> [UInt32: UInt32] {
        var r = profile.fixedRegisters(crystal: crystalMHz)
        let loader = profile.loader
        let m = mac
        r[loader.macWords.low] = UInt32(m[2]) << 24 | UInt32(m[3]) << 16 | UInt32(m[4]) << 8 | UInt32(m[5])
        r[loader.macWords.high] = (r[loader.macWords.high] ?? 0) & 0xFFFF_0000 | UInt32(m[0]) << 8 | UInt32(m[1])
        let fuses = loader.security
        func set(_ field: EfuseField, _ value: UInt32) { r[field.address] = field.inserting(value, into: r[field.address] ?? 0) }
        if configuration.flashEncryption { set(fuses.cryptCount, 1) }
        if configuration.secureBoot { set(fuses.secureBoot, 1) }
        if configuration.manualEncryptDisabled { set(fuses.manualEncryptDisabled, 1) }
        if let wdt = loader.usbSerialJTAG {
            // After a power-on or EN reset the watchdogs are quiet; a reset through USB-Serial/JTAG keeps the RTC
            // domain, and with it the watchdog the app's bootloader armed.
            let running = configuration.usbSerialJTAG
            r[wdt.rtcWatchdogConfig0] = running ? USBSerialJTAGFacts.rtcWatchdogEnable : 0
            r[wdt.superWatchdogConfig] = running ? 0 : wdt.superWatchdogAutoFeed
        }
        return r
    }

    /// The chip was reset (EN, a watchdog, the USB-Serial/JTAG): the ROM starts over, auto-bauding at whatever rate
    /// the host syncs at, with the 2 MB default flash size, no write in progress and no stub. The eFuses stay.
    public func resetROM() {
        baudRate = nil
        configuredFlashSize = 2 * 1024 * 1024
        write = nil
        memSession = nil
        running = nil
        stubRunning = false
        // RAM keeps its contents across a reset, as SRAM does; registers and eFuse shadows start over.
        let ram = registers.filter { memoryMap?.isRAM($0.key, size: 4) ?? false }
        registers = ram.merging(bootRegisters()) { $1 }
    }

    /// Whether the RTC watchdog or the super watchdog would reset the chip (the RTC watchdog enabled, or the super
    /// watchdog not set to feed itself).
    public var watchdogArmed: Bool {
        guard let wdt = profile.loader.usbSerialJTAG else { return false }
        let rtc = (registers[wdt.rtcWatchdogConfig0] ?? 0) & USBSerialJTAGFacts.rtcWatchdogEnable != 0
        let swd = (registers[wdt.superWatchdogConfig] ?? 0) & wdt.superWatchdogAutoFeed == 0
        return rtc || swd
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
        guard running == nil else { return Output() }  // the loader is no longer running
        var out = Output()
        if configuration.secureDownloadMode, !Self.secureDownloadModeCommands.contains(where: { $0.rawValue == packet.opcode }) {
            out.replies = unsupported()
            return out
        }
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
            // The ROM answers a SYNC eight times; a flasher stub does too, with value 0.
            out.replies = Array(repeating: reply(opcode, value: stubRunning ? 0 : Self.syncValue), count: 8)
        case .readRegister(let address):
            guard let value = readRegister(address) else { return crash() }
            out.replies = [reply(opcode, value: value)]
        case .writeRegister(let writes):
            guard writeRegisters(writes) else { return crash() }
            out.replies = [reply(opcode)]
        case .getSecurityInfo:
            guard let info = securityInfo else { out.replies = unsupported(); break }
            out.replies = [reply(opcode, data: info.bytes)]
        case .spiAttach(_, let romPadding):
            out.replies = [reply(opcode, error: romPadding ? nil : .invalidMessage)]
        case .spiSetParameters(let parameters):
            configuredFlashSize = Int(parameters.totalSize)
            out.replies = [reply(opcode)]
        case .changeBaudRate(let rate, _):
            guard rate > 0 else { out.replies = [reply(opcode, error: .invalidParameter)]; break }
            out.replies = [reply(opcode)]
            // The divider comes from the clock the ROM believes in; the crystal decides the real rate.
            let real = Int(rate) * crystalMHz / profile.romClockMHz(crystal: crystalMHz)
            out.newBaudRate = real
            baudRate = real
        case .flashBegin(let begin), .flashDeflBegin(let begin):
            out = self.begin(opcode, begin)
        case .flashData(let block), .flashDeflData(let block):
            out = data(opcode, block)
        case .flashEnd(let runUserCode), .flashDeflEnd(let runUserCode):
            write = nil
            out.replies = [reply(opcode)]
            if runUserCode { running = .flashApplication }  // the ROM leaves the loader and boots the flash
        case .spiFlashMD5(let offset, let size):
            let (answer, seconds) = md5(offset, size)
            out.replies = [answer]
            out.busySeconds = seconds
        case .readFlashSlow(let offset, let length):
            guard length <= 64, Int(offset) + 64 <= flash.size else { out.replies = [reply(opcode, error: .flashReadLengthError)]; break }
            out.replies = [reply(opcode, data: read(Int(offset), 64))]
        case .memBegin(let begin):
            out.replies = [memBegin(begin)]
        case .memData(let block):
            out.replies = [memData(block)]
        case .memEnd(let end):
            out.replies = [memEnd(end)]
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
        out.busySeconds = erase(Int(begin.offset), Int(begin.size))
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
        program(bytes, at: cursor)
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

    private func md5(_ offset: UInt32, _ size: UInt32) -> (reply: [UInt8], seconds: Double) {
        guard Int(offset) + Int(size) <= flash.size else { return (reply(.spiFlashMD5, error: .flashReadLengthError), 0) }
        hashedBytes += Int(size)
        let digest = Insecure.MD5.hash(data: read(Int(offset), Int(size)))
        // The ROM answers with 32 lower-case hex characters (stubs send 16 raw bytes).
        let text = digest.map { b in let s = String(b, radix: 16); return s.count == 1 ? "0" + s : s }.joined()
        return (reply(.spiFlashMD5, data: Array(text.utf8)), timing.hashTime(bytes: Int(size)))
    }

    // MARK: - 24-bit flash addresses

    /// The ROM's flash commands carry 24-bit addresses: on a flash larger than 16 MB, every address wraps into the
    /// first 16 MB (so a write at 16 MB lands on the bootloader, and an MD5 there hashes the start of the flash).
    func physical(_ address: Int) -> Int { address & (Chip.romAddressLimit - 1) }

    /// Erases the sectors `[offset, offset+length)` touches, wrapping at 16 MB; returns the seconds it takes.
    private func erase(_ offset: Int, _ length: Int) -> Double {
        var seconds = 0.0
        forEachWrappedPiece(offset, length) { at, count in
            seconds += timing.eraseTime(sectors: flash.eraseSectors(covering: at, length: count))
        }
        return seconds
    }

    private func program(_ bytes: [UInt8], at offset: Int) {
        var done = 0
        forEachWrappedPiece(offset, bytes.count) { at, count in
            flash.program(bytes[done..<(done + count)], at: at)
            done += count
        }
    }

    func read(_ offset: Int, _ length: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(length)
        forEachWrappedPiece(offset, length) { at, count in out += flash.read(at, count) }
        return out
    }

    /// Calls `body` with the physical pieces of `[offset, offset+length)`: one, or two where it crosses 16 MB.
    private func forEachWrappedPiece(_ offset: Int, _ length: Int, _ body: (Int, Int) -> Void) {
        var address = offset
        var left = length
        while left > 0 {
            let at = physical(address)
            let count = min(left, Chip.romAddressLimit - at, flash.size - at)
            guard count > 0 else { return }
            body(at, count)
            address += count
            left -= count
        }
    }

    /// Commands Secure Download Mode allows (esptool docs, `serial-protocol.rst`); others get the ROM's
    /// "unsupported" reply, which is also how esptool recognises an ESP32-S2 in that mode (READ_REG refused).
    static let secureDownloadModeCommands: Set<Opcode> = [
        .sync, .spiAttach, .spiSetParams, .changeBaudrate, .flashBegin, .flashData, .flashEnd, .getSecurityInfo,
    ]

    /// GET_SECURITY_INFO's answer: flags (bit 0 secure boot, bit 2 secure download mode), the crypt count, and on
    /// the ESP32-S3 and later the chip id; nil on the ESP32, whose ROM lacks the command.
    var securityInfo: SecurityInfo? {
        let flags: UInt32 = (configuration.secureBoot ? 1 : 0) | (configuration.secureDownloadMode ? 1 << 2 : 0)
        let count: UInt8 = configuration.flashEncryption ? 1 : 0
        switch profile.loader.securityInfo {
        case .unsupported: return nil
        case .withoutChipID: return SecurityInfo(flags: flags, flashCryptCount: count)
        case .withChipID: return SecurityInfo(flags: flags, flashCryptCount: count, chipID: profile.securityInfoChipID, ecoVersion: 0)
        }
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
