import Crypto
import ImageFormats

/// How to connect (`--before`, `--connect-attempts`, `--chip`).
public struct ConnectOptions: Sendable {
    public var before: BeforeAction = .defaultReset
    /// Reset-and-sync cycles; 0 or less tries forever (esptool `DEFAULT_CONNECT_ATTEMPTS` = 7).
    public var attempts = 7
    /// The chip the user expects; nil detects it.
    public var expectedChip: Chip?
    /// A reset sequence to use instead of the built-in strategies (esptool's `custom_reset_sequence`).
    public var customReset: ResetSequence?

    public init(before: BeforeAction = .defaultReset, attempts: Int = 7, expectedChip: Chip? = nil, customReset: ResetSequence? = nil) {
        self.before = before
        self.attempts = attempts
        self.expectedChip = expectedChip
        self.customReset = customReset
    }
}

/// A synced ROM loader of a known chip: the device operations esptool performs, on top of `LoaderConnection`.
public final class Bootloader {
    public let connection: LoaderConnection
    public private(set) var chip: Chip
    /// How this chip's ROM loader is driven (from the chip table).
    public let loaderFacts: LoaderFacts
    public private(set) var securityInfo: SecurityInfo?
    /// Secure Download Mode: the ROM takes only SYNC, SPI_ATTACH, SPI_SET_PARAMS, CHANGE_BAUDRATE, FLASH_BEGIN/DATA/END
    /// and GET_SECURITY_INFO, so registers, the flash id and MD5 cannot be read.
    public private(set) var secureDownloadMode = false
    /// The port is the chip's own USB-Serial/JTAG (its USB id, or `--before usb-reset`): its reset sequence is
    /// used, and its watchdogs are disabled after every connect.
    public let usesUSBSerialJTAG: Bool
    /// The crystal, read before the first baud change (nil in secure download mode).
    public internal(set) var crystalMHz: Int?
    /// The size sent with SPI_SET_PARAMS (the ROM assumes 2 MB until then).
    public internal(set) var configuredFlashSize: Int?
    public internal(set) var attached = false
    public let options: ConnectOptions
    /// Times the connection was re-established after a failure.
    public private(set) var reconnects = 0
    /// The rate `changeBaudRate` was last asked for; restored after the port is reopened or the chip reset.
    public internal(set) var requestedBaudRate: Int?
    /// Whether the last `reconnect()` had to reset the chip (or reopen the port); false when it answered a plain
    /// SYNC, as a chip that finished a long command late does.
    public private(set) var lastReconnectReset = false
    /// SPI_ATTACH's pin word when the user chose the pins (`--spi-connection`); nil: the chip's default.
    public var flashPinsOverride: UInt32?

    /// The ROM's FLASH_BEGIN block size (`ESPLoader.FLASH_WRITE_SIZE`).
    public static let romBlockSize = 0x400
    /// READ_FLASH_SLOW returns this many bytes per command (`ESP32ROM.read_flash_slow` `BLOCK_LEN`).
    public static let readBlockSize = 64

    init(connection: LoaderConnection, chip: Chip, loaderFacts: LoaderFacts, securityInfo: SecurityInfo?, secureDownloadMode: Bool,
         usesUSBSerialJTAG: Bool, options: ConnectOptions) {
        self.connection = connection
        self.chip = chip
        self.loaderFacts = loaderFacts
        self.securityInfo = securityInfo
        self.secureDownloadMode = secureDownloadMode
        self.usesUSBSerialJTAG = usesUSBSerialJTAG
        self.options = options
    }

    public var timeouts: CommandTimeouts { connection.timeouts }

    // MARK: - Connecting

    /// Resets (per `--before`), syncs within the attempts, identifies the chip and, on a USB-Serial/JTAG port,
    /// disables the watchdogs a reset through USB leaves running.
    public static func connect(_ connection: LoaderConnection, options: ConnectOptions = ConnectOptions()) throws(LoaderError) -> Bootloader {
        let usb = options.before == .usbReset || connection.transport.portInfo?.kind == .usbSerialJTAG
        // A reply lost or a line dropped after the sync (a chip that reset, a port that re-enumerated) costs another
        // round, as in the later stages, rather than the run; a wrong or unusable chip does not, nor a failed sync
        // (its attempts are the user's --connect-attempts).
        for round in 1...Self.identifyRounds {
            try establishSync(connection, options: options, usbSerialJTAG: usb)
            do throws(LoaderError) {
                return try identify(connection, options: options, usbSerialJTAG: usb)
            } catch where error.isRecoverable && round < Self.identifyRounds && options.before != .noResetNoSync {
                if case .transport = error.kind, connection.canReopen { try connection.reopen() }
            }
        }
        throw LoaderError(.noSync, command: "connect", "not reached")  // the last round throws
    }

    /// Connect rounds (sync, identify) before a recoverable failure ends the connect.
    static let identifyRounds = 3

    /// Detects the chip on a synced line, checks it and, on a USB-Serial/JTAG port, disables the watchdogs.
    private static func identify(_ connection: LoaderConnection, options: ConnectOptions, usbSerialJTAG usb: Bool) throws(LoaderError) -> Bootloader {
        var detected: Detected?
        for attempt in 1...3 where detected == nil {
            do {
                detected = try detectChip(connection)
            } catch where error.isRecoverable && attempt < 3 {
                try connection.sync()  // a lost or garbled reply: sync again and ask again
            }
        }
        guard let detected else { throw LoaderError(.noSync, command: "detect chip", "no answer") }
        if let expected = options.expectedChip, expected != detected.chip {
            throw LoaderError(.wrongChip, command: "connect", "this chip is \(detected.chip.displayName), not \(expected.displayName); wrong --chip argument?")
        }
        guard let loaderFacts = detected.chip.loader else {
            throw LoaderError(.wrongChip, command: "connect", "\(detected.chip.displayName) is not a chip this tool's flasher drives")
        }
        let loader = Bootloader(connection: connection, chip: detected.chip, loaderFacts: loaderFacts, securityInfo: detected.info,
                                secureDownloadMode: detected.secureDownloadMode, usesUSBSerialJTAG: usb, options: options)
        try loader.disableWatchdogs()
        return loader
    }

    /// Resets and syncs within the attempts. What the chip printed after each reset is searched for the ROM's
    /// `boot:0x..` line, so that a chip that started from flash ("wrong boot mode") and one that is in download
    /// mode but does not answer are told apart from plain silence (esptool `_connect_attempt`). A loader that
    /// answers SYNC with zeros is a flasher stub left running; it is reset away where possible.
    static func establishSync(_ connection: LoaderConnection, options: ConnectOptions, usbSerialJTAG: Bool) throws(LoaderError) {
        if options.before == .noResetNoSync { return }
        let transport = connection.transport
        let strategies = options.customReset.map { [$0] }
            ?? ResetSequence.strategies(for: options.before, hasControlLines: transport.hasControlLines,
                                        linesChangeTogether: transport.linesChangeTogether, usbSerialJTAG: usbSerialJTAG)
        var attempt = 0
        var last = LoaderError(.noSync, command: "connect", "no attempt made")
        var probe = BootLogProbe()
        while options.attempts <= 0 || attempt < options.attempts {
            if !strategies.isEmpty, options.before != .noReset {
                let strategy = strategies[attempt % strategies.count]
                do throws(TransportError) {
                    try connection.transport.discardInput()
                    try strategy.run(on: connection.transport)
                    probe.scan(try connection.transport.read(maxCount: 4096, timeout: 0))
                } catch {
                    last = LoaderError(.transport(error.kind), command: "reset (\(strategy.name))", error.message)
                }
            }
            do throws(LoaderError) {
                try connection.sync()
                guard connection.lastSyncFromStub else { return }
                last = LoaderError(.unusable, command: "SYNC", "a flasher stub left running (esptool --after no-reset-stub) answers "
                                   + "instead of the ROM loader, which is the only loader this tool speaks to")
                if strategies.isEmpty || options.before == .noReset {
                    throw LoaderError(.unusable, command: "connect", last.message + "; reset the chip (press EN, or --before default-reset)")
                }
            } catch {
                if error.kind == .unusable || error.kind == .cancelled { throw error }
                last = error
                if case .transport(let kind) = error.kind {
                    guard kind == .disconnected || kind == .io, connection.canReopen else { throw error }
                    try connection.reopen()
                }
            }
            attempt += 1
        }
        throw LoaderError(.noSync, command: "connect", "failed to connect after \(attempt) attempt(s): " + (probe.diagnosis ?? last.message))
    }

    struct Detected {
        var chip: Chip
        var info: SecurityInfo?
        var secureDownloadMode: Bool
    }

    /// GET_SECURITY_INFO's chip id where the ROM has it, else the magic register (esptool `detect_chip`). An
    /// ESP32-S2 in secure download mode answers neither with an id nor READ_REG: the refusal identifies it.
    static func detectChip(_ connection: LoaderConnection) throws(LoaderError) -> Detected {
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
        let secure = info?.secureDownloadMode ?? false
        if let id = info?.chipID, let chip = Chip.withSecurityInfoChipID(id) { return Detected(chip: chip, info: info, secureDownloadMode: secure) }
        let magic: UInt32
        do { magic = try connection.readRegister(Chip.magicRegister) } catch where error.kind == .unsupported && info != nil {
            return Detected(chip: .esp32s2, info: info, secureDownloadMode: true)
        }
        guard let chip = Chip.withMagicValue(magic) else {
            if let id = info?.chipID, let known = Chip.imageOnlyChip(securityInfoChipID: id) {
                throw LoaderError(.wrongChip, command: "detect chip", "this is an \(known.displayName), which this tool's flasher does not drive (its image tools read its images)")
            }
            throw LoaderError(.wrongChip, command: "detect chip", "unknown chip (magic 0x\(String(magic, radix: 16)), chip id \(info?.chipID.map(String.init) ?? "none"))")
        }
        return Detected(chip: chip, info: info, secureDownloadMode: secure)
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

    /// After a failed command: sync again, first at the line's rate, then at the ROM's 115200 (a chip that was
    /// reset meanwhile, by a watchdog or a USB port that re-enumerated, is back at that rate); if the port itself
    /// failed, open it again first (the opener decides how: a new TCP connection, the same serial path once it is
    /// back); only then reset. A chip still busy with a long command (an erase) is given the rest of that command's
    /// time to answer before anything resets it. Then the baud rate and the flash set-up (attach, size) are restored.
    public func reconnect() throws(LoaderError) {
        reconnects += 1
        lastReconnectReset = false
        do {
            try syncPatiently(for: connection.lastTimedOutWait ?? 0)
        } catch {
            if error.kind == .cancelled { throw error }
            lastReconnectReset = true
            if case .transport = error.kind, connection.canReopen { try connection.reopen() }
            try syncAtROMRate()
        }
        try restoreSetup()
    }

    /// SYNC without resetting, repeatedly, for up to `seconds` (at least one round).
    private func syncPatiently(for seconds: Double) throws(LoaderError) {
        let deadline = Clock.now() + seconds
        while true {
            do {
                try connection.sync()
                return
            } catch {
                if case .transport = error.kind { throw error }
                if error.kind == .cancelled || Clock.now() >= deadline { throw error }
            }
        }
    }

    /// The line back at 115200; a SYNC without reset, then the reset-and-sync cycles.
    private func syncAtROMRate() throws(LoaderError) {
        let transport = connection.transport
        if transport.canChangeBaudRate, transport.baudRate != Self.romBaudRate {
            do { try transport.setBaudRate(Self.romBaudRate) } catch { throw LoaderError(.transport(error.kind), command: "reconnect", error.message) }
            connection.resetReceiver()
            do {
                try connection.sync()
                return
            } catch where error.kind != .cancelled && !error.isTransportFailure {}
        }
        try Self.establishSync(connection, options: options, usbSerialJTAG: usesUSBSerialJTAG)
        try disableWatchdogs()
    }

    private func restoreSetup() throws(LoaderError) {
        if let baud = requestedBaudRate, connection.transport.canChangeBaudRate, connection.transport.baudRate != baud {
            try changeBaudRate(baud)
        }
        if attached { try attachFlash(softReset: false) }
        if let size = configuredFlashSize { try setFlashSize(size) }
    }

    /// The ROM's UART rate after reset.
    public static let romBaudRate = 115_200

    // MARK: - Finishing

    /// `--after`: hard reset pulls EN low with IO0 high and releases both (on the ESP32-S3 first clearing the
    /// force-download bit a USB reset may have left set, as esptool does); soft reset asks the ROM to run the app
    /// (FLASH_BEGIN 0 + FLASH_END 1).
    public func finish(_ after: AfterAction) throws(LoaderError) {
        switch after {
        case .noReset:
            return
        case .hardReset:
            guard connection.transport.hasControlLines else { return }
            if let register = loaderFacts.forceDownloadBootRegister, !secureDownloadMode {
                // Best effort, as esptool: a chip that no longer answers is reset all the same.
                _ = try? connection.send(.writeRegister([LoaderRequest.RegisterWrite(address: register, value: 0, mask: 1)]))
            }
            do { try ResetSequence.hardReset(usb: usesUSBSerialJTAG).run(on: connection.transport) } catch {
                throw LoaderError(.transport(error.kind), command: "hard reset", error.message)
            }
        case .softReset:
            try runUserCode()
        }
    }
}

/// MD5 of bytes as lower-case hex.
public func md5Hex(_ bytes: some Collection<UInt8>) -> String {
    hexString(Insecure.MD5.hash(data: Array(bytes)))
}

extension LoaderError {
    var isTransportFailure: Bool {
        if case .transport = kind { return true }
        return false
    }
}
