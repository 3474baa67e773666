import Crypto
import ImageFormats

/// How to connect (`--before`, `--connect-attempts`, `--chip`).
public struct ConnectOptions: Sendable {
    public var before: BeforeAction = .defaultReset
    /// Reset-and-sync cycles; 0 or less tries forever (esptool `DEFAULT_CONNECT_ATTEMPTS` = 7).
    public var attempts = 7
    /// The chip the user expects; nil detects it.
    public var expectedChip: Chip?

    public init(before: BeforeAction = .defaultReset, attempts: Int = 7, expectedChip: Chip? = nil) {
        self.before = before
        self.attempts = attempts
        self.expectedChip = expectedChip
    }
}

/// A synced ROM loader of a known chip: the device operations esptool performs, on top of `LoaderConnection`.
public final class Bootloader {
    public let connection: LoaderConnection
    public private(set) var chip: Chip
    /// How this chip's ROM loader is driven (from the chip table).
    public let loaderFacts: LoaderFacts
    public private(set) var securityInfo: SecurityInfo?
    /// The size sent with SPI_SET_PARAMS (the ROM assumes 2 MB until then).
    public private(set) var configuredFlashSize: Int?
    public private(set) var attached = false
    public let options: ConnectOptions
    /// Times the connection was re-established after a failure.
    public private(set) var reconnects = 0
    /// The rate `changeBaudRate` was last asked for; restored after the port is reopened.
    public private(set) var requestedBaudRate: Int?

    /// The ROM's FLASH_BEGIN block size (`ESPLoader.FLASH_WRITE_SIZE`).
    public static let romBlockSize = 0x400
    /// READ_FLASH_SLOW returns this many bytes per command (`ESP32ROM.read_flash_slow` `BLOCK_LEN`).
    public static let readBlockSize = 64

    init(connection: LoaderConnection, chip: Chip, loaderFacts: LoaderFacts, securityInfo: SecurityInfo?, options: ConnectOptions) {
        self.connection = connection
        self.chip = chip
        self.loaderFacts = loaderFacts
        self.securityInfo = securityInfo
        self.options = options
    }

    public var timeouts: CommandTimeouts { connection.timeouts }

    // MARK: - Connecting

    /// Resets (per `--before`), syncs within the attempts, and identifies the chip.
    public static func connect(_ connection: LoaderConnection, options: ConnectOptions = ConnectOptions()) throws(LoaderError) -> Bootloader {
        try establishSync(connection, options: options)
        var detected: (Chip, SecurityInfo?)?
        for attempt in 1...3 where detected == nil {
            do {
                detected = try detectChip(connection)
            } catch where error.isRecoverable && attempt < 3 {
                try connection.sync()  // a lost or garbled reply: sync again and ask again
            }
        }
        guard let (chip, info) = detected else { throw LoaderError(.noSync, command: "detect chip", "no answer") }
        if let expected = options.expectedChip, expected != chip {
            throw LoaderError(.wrongChip, command: "connect", "this chip is \(chip.displayName), not \(expected.displayName); wrong --chip argument?")
        }
        guard let loaderFacts = chip.loader else {
            throw LoaderError(.wrongChip, command: "connect", "\(chip.displayName) is not a chip this tool's flasher drives")
        }
        return Bootloader(connection: connection, chip: chip, loaderFacts: loaderFacts, securityInfo: info, options: options)
    }

    static func establishSync(_ connection: LoaderConnection, options: ConnectOptions) throws(LoaderError) {
        if options.before == .noResetNoSync { return }
        let strategies = ResetSequence.strategies(for: options.before, hasControlLines: connection.transport.hasControlLines)
        var attempt = 0
        var last = LoaderError(.noSync, command: "connect", "no attempt made")
        while options.attempts <= 0 || attempt < options.attempts {
            if !strategies.isEmpty {
                let strategy = strategies[attempt % strategies.count]
                do {
                    try connection.transport.discardInput()
                    try strategy.run(on: connection.transport)
                } catch {
                    last = LoaderError(.transport(error.kind), command: "reset (\(strategy.name))", error.message)
                }
            }
            do {
                try connection.sync()
                return
            } catch {
                last = error
                if error.kind == .cancelled { throw error }
                if case .transport(let kind) = error.kind {
                    guard kind == .disconnected || kind == .io, connection.canReopen else { throw error }
                    try connection.reopen()
                }
            }
            attempt += 1
        }
        throw LoaderError(.noSync, command: "connect", "failed to connect after \(attempt) attempt(s): \(last.message)")
    }

    /// GET_SECURITY_INFO's chip id where the ROM has it, else the magic register (esptool `detect_chip`).
    static func detectChip(_ connection: LoaderConnection) throws(LoaderError) -> (Chip, SecurityInfo?) {
        var info: SecurityInfo?
        do {
            info = try readSecurityInfo(connection)
        } catch {
            // ESP32 and ESP8266 ROMs lack the command; anything else (a lost reply) is worth another try.
            switch error.kind {
            case .unsupported, .failed: info = nil
            default: throw error
            }
        }
        if let id = info?.chipID, let chip = Chip.withSecurityInfoChipID(id) { return (chip, info) }
        let magic = try connection.readRegister(Chip.magicRegister)
        guard let chip = Chip.withMagicValue(magic) else {
            if let id = info?.chipID, let known = Chip.imageOnlyChip(securityInfoChipID: id) {
                throw LoaderError(.wrongChip, command: "detect chip", "this is an \(known.displayName), which this tool's flasher does not drive (its image tools read its images)")
            }
            throw LoaderError(.wrongChip, command: "detect chip", "unknown chip (magic 0x\(String(magic, radix: 16)), chip id \(info?.chipID.map(String.init) ?? "none"))")
        }
        return (chip, info)
    }

    static func readSecurityInfo(_ connection: LoaderConnection) throws(LoaderError) -> SecurityInfo {
        let reply = try connection.send(.getSecurityInfo, checkStatus: false)
        let d = reply.data
        let long = d.count >= 22
        guard d.count >= 14 else {
            // Only a status: some loaders (esp32-mock-bootloader as an ESP32) answer so instead of "unsupported".
            let status = reply.status()
            if status.failed { throw LoaderError.failed("GET_SECURITY_INFO", status.error) }
            throw LoaderError(.unsupported, command: "GET_SECURITY_INFO", "reply without security information (\(d.count) bytes)")
        }
        let status = reply.status(payloadLength: long ? 20 : 12)
        if status.failed { throw LoaderError.failed("GET_SECURITY_INFO", status.error) }
        guard let info = SecurityInfo(bytes: Array(d.prefix(long ? 20 : 12))) else {
            throw LoaderError(.unsupported, command: "GET_SECURITY_INFO", "malformed security information (\(d.count) bytes)")
        }
        return info
    }

    /// After a failed command: sync again; if the port itself failed, open it again first (the opener decides how:
    /// a new TCP connection, the same serial path once it is back); then restore the baud rate and the flash set-up
    /// (attach, size) in case the chip was reset.
    public func reconnect() throws(LoaderError) {
        reconnects += 1
        do {
            try connection.sync()
        } catch {
            if error.kind == .cancelled { throw error }
            if case .transport = error.kind, connection.canReopen { try connection.reopen() }
            try Self.establishSync(connection, options: options)
        }
        try restoreSetup()
    }

    private func restoreSetup() throws(LoaderError) {
        if let baud = requestedBaudRate, connection.transport.canChangeBaudRate, connection.transport.baudRate != baud {
            try changeBaudRate(baud)
        }
        if attached { try attachFlash() }
        if let size = configuredFlashSize { try setFlashSize(size) }
    }

    // MARK: - Chip facts

    /// The base MAC from the eFuse words (esptool `read_mac`).
    public func readMAC() throws(LoaderError) -> [UInt8] {
        let low = try connection.readRegister(loaderFacts.macWords.low)
        let high = try connection.readRegister(loaderFacts.macWords.high)
        return [UInt8(high >> 8 & 0xFF), UInt8(high & 0xFF), UInt8(low >> 24), UInt8(low >> 16 & 0xFF), UInt8(low >> 8 & 0xFF), UInt8(low & 0xFF)]
    }

    /// Chip revision (major, minor) where the eFuse fields are known here (`RevisionSource`): ESP32
    /// (`ESP32ROM.get_major_chip_version`), ESP32-C3 and ESP32-S3.
    public func readRevision() throws(LoaderError) -> ChipRevision? {
        switch loaderFacts.revision {
        case .esp32:
            let word3 = try connection.readRegister(ESP32Registers.efuseBlock0Word3)
            let word5 = try connection.readRegister(ESP32Registers.efuseBlock0Word5)
            let apbDate = try connection.readRegister(ESP32Registers.apbControlDate)
            let bits = (apbDate >> 31 & 1) << 2 | (word5 >> 20 & 1) << 1 | (word3 >> 15 & 1)
            let major: Int = switch bits { case 1: 1; case 3: 2; case 7: 3; default: 0 }
            return ChipRevision(major: major, minor: Int(word5 >> 24 & 3))
        case .block1(let word3Address, let word5Address):
            let word3 = try connection.readRegister(word3Address)
            let word5 = try connection.readRegister(word5Address)
            return ChipRevision(major: Int(word5 >> 24 & 3), minor: Int((word5 >> 23 & 1) << 3 | (word3 >> 18 & 7)))
        case .notRead:
            return nil
        }
    }

    /// Crystal frequency in MHz: fixed per chip, or estimated from the UART divider (esptool `get_crystal_freq`).
    public func readCrystalMHz() throws(LoaderError) -> Int? {
        switch loaderFacts.crystal {
        case .fixed(let megahertz):
            return megahertz
        case .uartDivider(let register):
            let divider = try connection.readRegister(register) & ESP32Registers.uartClockDividerMask
            let estimate = Double(connection.transport.baudRate) * Double(divider) / 1_000_000
            return estimate > 33 ? 40 : 26
        case .notRead:
            return nil
        }
    }

    // MARK: - SPI flash

    /// SPI_ATTACH with the default pins, or on the ESP32 the pins the eFuse names for in-package flash
    /// (`ESP32ROM.get_chip_spi_pads`). The ROM takes four more zero bytes than the stub.
    public func attachFlash() throws(LoaderError) {
        var config: UInt32 = 0
        switch loaderFacts.flashPins {
        case .defaultPins:
            break
        case .esp32Efuse:
            let word5 = try connection.readRegister(ESP32Registers.efuseBlock0Word5)
            let word3 = try connection.readRegister(ESP32Registers.efuseBlock0Word3)
            let clk = word5 & 0x1F, q = word5 >> 5 & 0x1F, d = word5 >> 10 & 0x1F, cs = word5 >> 15 & 0x1F, hd = word3 >> 4 & 0x1F
            if clk | q | d | cs | hd != 0 { config = hd << 24 | cs << 18 | d << 12 | q << 6 | clk }
        }
        try connection.send(.spiAttach(configuration: config, romPadding: true))
        attached = true
    }

    /// Runs one SPI flash command through the controller registers and returns up to 32 bits it read
    /// (esptool `run_spiflash_command`, shared/reference/esptool.md §6).
    public func runSPIFlashCommand(_ command: UInt8, readBits: Int) throws(LoaderError) -> UInt32 {
        let spi = loaderFacts.spi
        let savedUSR = try connection.readRegister(spi.usr)
        let savedUSR2 = try connection.readRegister(spi.usr2)
        let usrCommand: UInt32 = 1 << 31, usrMISO: UInt32 = 1 << 28
        var writes: [(address: UInt32, value: UInt32)] = []
        if readBits > 0 { writes.append((spi.misoDataLength, UInt32(readBits - 1))) }
        writes += [(spi.usr, usrCommand | (readBits > 0 ? usrMISO : 0)), (spi.usr2, 7 << 28 | UInt32(command)), (spi.w0, 0),
                   (spi.cmd, Self.spiCommandStart)]
        try connection.writeRegisters(writes)
        var done = false
        for _ in 0..<10 where !done { done = try connection.readRegister(spi.cmd) & Self.spiCommandStart == 0 }
        guard done else { throw LoaderError(.badReply, command: "SPI flash command 0x\(String(command, radix: 16))", "SPI command did not complete") }
        let result = try connection.readRegister(spi.w0)
        try connection.writeRegisters([(spi.usr, savedUSR), (spi.usr2, savedUSR2)])
        return result
    }

    static let spiCommandStart: UInt32 = 1 << 18

    /// RDID: `manufacturer | memory type << 8 | capacity << 16`.
    public func readFlashID() throws(LoaderError) -> UInt32 {
        try runSPIFlashCommand(0x9F, readBits: 24)
    }

    /// SPI_SET_PARAMS: `id 0, total size, block 64 KB, sector 4 KB, page 256, status mask 0xFFFF`.
    public func setFlashSize(_ size: Int) throws(LoaderError) {
        try connection.send(.spiSetParameters(LoaderRequest.SPIParameters(totalSize: UInt32(size))))
        configuredFlashSize = size
    }

    // MARK: - Baud rate

    /// Switches the line to `baud` after connecting. Returns false (and sends nothing) when the port cannot change
    /// its rate, as with raw TCP. The ESP32 ROM gets its clock-scaled value (`ESP32ROM.change_baud`).
    @discardableResult
    public func changeBaudRate(_ baud: Int) throws(LoaderError) -> Bool {
        let transport = connection.transport
        requestedBaudRate = baud
        guard transport.canChangeBaudRate, baud != transport.baudRate else { return false }
        var sent = baud
        switch loaderFacts.baudRateScaling {
        case .none:
            break
        case .esp32ROMClock:
            let calibration = try connection.readRegister(ESP32Registers.rtcCalibration) >> 7 & 0x1FF_FFFF
            let efuseWord4 = try connection.readRegister(ESP32Registers.efuseBlock0Word4) & 0xFF
            let romFrequency = Int(calibration) * 15625 * Int(efuseWord4) / 40
            let validFrequency = romFrequency > 33_000_000 ? 40_000_000 : 26_000_000
            if romFrequency > 0 { sent = baud * romFrequency / validFrequency }
        }
        // The reply comes at the old rate; esptool does not check its status.
        try connection.send(.changeBaudRate(newBaudRate: UInt32(sent), oldBaudRate: 0), checkStatus: false)
        do { try transport.setBaudRate(baud) } catch { throw LoaderError(.transport(error.kind), command: "CHANGE_BAUDRATE", error.message) }
        Clock.sleep(seconds: timeouts.settle)
        connection.resetReceiver()
        return true
    }

    // MARK: - Flash contents

    /// SPI_FLASH_MD5 of `[address, address+size)`, lower-case hex. The ROM answers with 32 ASCII hex characters.
    public func flashMD5(address: Int, size: Int) throws(LoaderError) -> String {
        let reply = try connection.send(.spiFlashMD5(offset: UInt32(address), size: UInt32(size)),
                                        timeout: timeouts.md5(bytes: size), payloadLength: 32)
        let text = reply.payload(length: 32)
        if text.count == 32, text.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }) {
            return String(decoding: text.map { $0 | ($0 >= 0x41 ? 0x20 : 0) }, as: UTF8.self)
        }
        // A stub answers with 16 raw bytes.
        guard reply.data.count >= 18 else { throw LoaderError(.badReply, command: "SPI_FLASH_MD5", "reply too short") }
        return hexString(reply.data.prefix(16))
    }

    /// READ_FLASH_SLOW: 64 bytes per command.
    public func readFlash(address: Int, size: Int, progress: (Int) -> Void = { _ in }) throws(LoaderError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        while out.count < size {
            let length = min(Self.readBlockSize, size - out.count)
            let reply = try connection.send(.readFlashSlow(offset: UInt32(address + out.count), length: UInt32(length)), payloadLength: Self.readBlockSize)
            guard reply.data.count >= Self.readBlockSize else {
                throw LoaderError(.badReply, command: "READ_FLASH_SLOW", "reply holds \(reply.data.count) bytes, expected \(Self.readBlockSize)")
            }
            out += reply.data.prefix(length)
            progress(out.count)
        }
        return out
    }

    /// FLASH_BEGIN or FLASH_DEFL_BEGIN: the ROM erases `[address, address + eraseSize)` before answering.
    public func beginWrite(compressed: Bool, eraseSize: Int, blocks: Int, address: Int) throws(LoaderError) {
        let begin = LoaderRequest.FlashBegin(size: UInt32(eraseSize), blockCount: UInt32(blocks), blockSize: UInt32(Self.romBlockSize),
                                             offset: UInt32(address), encrypted: loaderFacts.flashBeginWords == 5 ? 0 : nil)  // 0: not encrypted
        try connection.send(compressed ? .flashDeflBegin(begin) : .flashBegin(begin), timeout: timeouts.erase(bytes: eraseSize))
    }

    /// One FLASH_DATA or FLASH_DEFL_DATA block: `len, seq, 0, 0, data`, with the data checksum.
    public func writeBlock(compressed: Bool, _ data: ArraySlice<UInt8>, sequence: Int, timeout: Double) throws(LoaderError) {
        let block = LoaderRequest.DataBlock(sequence: UInt32(sequence), payload: Array(data))
        try connection.send(compressed ? .flashDeflData(block) : .flashData(block), timeout: timeout)
    }

    /// `--after`: hard reset pulses RTS; soft reset asks the ROM to run the app (FLASH_BEGIN 0 + FLASH_END 1).
    public func finish(_ after: AfterAction) throws(LoaderError) {
        switch after {
        case .noReset:
            return
        case .hardReset:
            guard connection.transport.hasControlLines else { return }
            do { try ResetSequence.hardReset.run(on: connection.transport) } catch {
                throw LoaderError(.transport(error.kind), command: "hard reset", error.message)
            }
        case .softReset:
            try beginWrite(compressed: false, eraseSize: 0, blocks: 0, address: 0)
            try connection.send(.flashEnd(runUserCode: true))
        }
    }
}

/// MD5 of bytes as lower-case hex.
public func md5Hex(_ bytes: some Collection<UInt8>) -> String {
    hexString(Insecure.MD5.hash(data: Array(bytes)))
}
