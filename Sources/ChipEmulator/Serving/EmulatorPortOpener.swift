import ImageFormats
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// Opens every port `SystemPortOpener` does, plus `virtual://CHIP[?flash=FILE&size=4MB]`: a fresh emulated chip
/// in this process whose flash is loaded from FILE (a missing file is a blank chip) and written back by the
/// transport's `save()`. With role `.bootloader` the chip is in ROM download mode (`InProcessTransport`); with
/// `.atCommands` it has booted the flash and the transport is its AT UART (`ATUARTTransport`), whose first bytes
/// are what the module printed there while booting (`ready`).
public struct EmulatorPortOpener: PortOpener {
    /// Faults every virtual chip opened here injects (`ESPFLASH_VIRTUAL_FAULTS` in the CLI).
    public var faults: FaultPlan
    /// The `virtual://CHIP?line=SEED` ports opened through this opener (and its copies), with their modules.
    public let lines = LinePorts()

    public init(faults: FaultPlan = FaultPlan()) {
        self.faults = faults
    }

    /// The options a `virtual://` address takes.
    public static let optionKeys = ["flash", "size", "crystal", "usb-serial-jtag", "watchdog", "reset", "secure-download-mode",
                                    "flash-encryption", "secure-boot", "stub-running", "no-flash", "timing", "fault"]

    public func open(_ address: PortAddress, baudRate: Int = 115_200) throws(TransportError) -> any Transport {
        try open(address, baudRate: baudRate, role: .bootloader)
    }

    public func open(_ address: PortAddress, baudRate: Int, role: PortRole) throws(TransportError) -> any Transport {
        guard case .virtual(let virtual) = address else { return try SystemPortOpener().open(address, baudRate: baudRate) }
        if virtual.value("line") != nil { return try lines.open(virtual, baudRate: baudRate, role: role, faults: faults) }
        var spec = try VirtualChipSpec(virtual)
        var contents: [UInt8]?
        if let file = spec.flashFile, access(file, F_OK) == 0 {
            guard let bytes = Self.readFile(file, limit: InputLimits.flashSize) else {
                throw TransportError(.open, "cannot read \(file): \(errno == EFBIG ? "it is larger than the largest flash (\(InputLimits.describe(InputLimits.flashSize)))" : errnoText())")
            }
            contents = bytes
            try spec.fit(contents: bytes.count, file: file)
        }
        let device = EmulatedDevice(profile: spec.profile, flashSize: spec.flashSize, flashContents: contents, timing: spec.timing,
                                    configuration: spec.configuration)
        switch role {
        case .bootloader:
            let board = spec.wiring.map { EmulatedBoard(device: device, wiring: $0, startInDownloadMode: spec.configuration.usbSerialJTAG) }
            let session = EmulatorSession(device: device, board: board, faults: spec.faults(adding: faults))
            let transport = InProcessTransport(session: session, portName: virtual.description)
            transport.flashFile = spec.flashFile
            return transport
        case .atCommands:
            let module = EmulatedModule(device: device)
            let session = ATLinkSession(module: module, faults: spec.faults(adding: faults))
            let transport = ATUARTTransport(session: session, portName: virtual.description, baudRate: baudRate,
                                            bootOutput: module.bootOutputOnATUART)
            transport.flashFile = spec.flashFile
            return transport
        }
    }

    /// Writes flash contents to `file` (temporary file + rename).
    static func saveFlash(_ contents: [UInt8], to file: String) throws(TransportError) {
        let temp = file + ".tmp-\(getpid())"
        guard let f = fopen(temp, "wb") else { throw TransportError(.io, "cannot write \(file): \(errnoText())") }
        let written = contents.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let closed = fclose(f)
        guard written == contents.count, closed == 0, rename(temp, file) == 0 else {
            unlink(temp)
            throw TransportError(.io, "cannot write \(file): \(errnoText())")
        }
    }

    /// A virtual chip survives its link: the same chip is connected again (a new connection, as after a dropped
    /// line). Other ports are closed and opened anew.
    public func reopen(_ failed: any Transport, at address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport {
        guard let virtual = failed as? InProcessTransport else {
            failed.close()
            return try open(address, baudRate: baudRate)
        }
        virtual.reconnect()
        return virtual
    }

    /// Saves a virtual chip's flash to its `flash=` file (either UART), then closes the port.
    public func close(_ transport: any Transport) throws(TransportError) {
        defer { transport.close() }
        if let virtual = transport as? EmulatedFlashStore { try virtual.save() }
    }

    /// The file's bytes; nil with errno set when it cannot be read, or EFBIG when it holds more than `limit`.
    static func readFile(_ path: String, limit: Int) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { bytes += chunk[0..<n] }
            if bytes.count > limit {
                errno = EFBIG
                return nil
            }
            if n < chunk.count { break }
        }
        return ferror(f) == 0 ? bytes : nil
    }
}

/// What a `virtual://` address asks of the emulator, checked: `flash=FILE`, `size=4MB`, `crystal=26`,
/// `usb-serial-jtag=1` (with `watchdog=SECONDS`), `reset=circuit` (DTR/RTS drive EN and IO0 through the auto-reset
/// circuit; `reset=circuit:1ms` sets EN's RC), `secure-download-mode=1`, `flash-encryption=1`, `secure-boot=1`,
/// `stub-running=1`, `fault=KIND:VALUE` (repeatable; `emulate --fault`'s kinds, `:` for `=` inside a URL).
public struct VirtualChipSpec: Sendable {
    public let profile: RomProfile
    public let flashFile: String?
    public private(set) var flashSize: Int
    /// Whether `size=` was given (otherwise an existing flash file larger than the default sets the size).
    public let sizeGiven: Bool
    public let configuration: ChipConfiguration
    /// How DTR/RTS reach the chip; nil: they do not (a chip sitting in download mode).
    public let wiring: EmulatedBoard.Wiring?
    /// Erase, program and MD5 times (`timing=typical`).
    public let timing: FlashTiming
    /// The address's `fault=KIND:VALUE` options as `KIND=VALUE`, checked.
    public let faultSpecs: [String]

    /// `base` (the opener's faults) with this address's own added.
    public func faults(adding base: FaultPlan) -> FaultPlan {
        var plan = base
        for spec in faultSpecs { _ = plan.add(spec) }
        return plan
    }

    public init(_ address: VirtualPortAddress) throws(TransportError) {
        guard let profile = RomProfile.profile(for: address.chip) else {
            throw TransportError(.open, "virtual:// emulates " + RomProfile.emulatedChips.map(\.rawValue).joined(separator: ", ")
                                 + "; not \(address.chip.rawValue)")
        }
        var size = 4 << 20
        var configuration = ChipConfiguration()
        var wiring: EmulatedBoard.Wiring?
        var timing = FlashTiming.none
        var faultSpecs: [String] = []
        var check = FaultPlan()
        func flag(_ value: String) throws(TransportError) -> Bool {
            guard let on = ["1": true, "true": true, "0": false, "false": false][value] else {
                throw TransportError(.open, "virtual:// option value '\(value)' must be 1 or 0")
            }
            return on
        }
        for option in address.options {
            switch option.key {
            case "flash": break
            case "size":
                guard let s = IntegerText.sizeOrAddress(option.value), s >= 0x10000, s & (s - 1) == 0, s <= InputLimits.flashSize else {
                    throw TransportError(.open, "virtual:// size '\(option.value)' must be a power of two from 64KB to \(InputLimits.describe(InputLimits.flashSize)), like 4MB")
                }
                size = s
            case "crystal":
                guard let mhz = Int(option.value), profile.crystals.contains(mhz) else {
                    throw TransportError(.open, "virtual:// crystal '\(option.value)': the \(profile.chip.displayName) has "
                                         + profile.crystals.map { "\($0)" }.joined(separator: " or ") + " MHz")
                }
                configuration.crystalMHz = mhz
            case "usb-serial-jtag":
                configuration.usbSerialJTAG = try flag(option.value)
                if configuration.usbSerialJTAG {
                    guard profile.loader.usbSerialJTAG != nil else { throw TransportError(.open, "the \(profile.chip.displayName) has no USB-Serial/JTAG") }
                    wiring = .usbSerialJTAG
                }
            case "watchdog":
                guard let seconds = Double(option.value), seconds > 0 else { throw TransportError(.open, "virtual:// watchdog takes seconds > 0") }
                configuration.watchdogSeconds = seconds
            case "reset":
                guard let tau = Self.enTimeConstant(option.value) else {
                    throw TransportError(.open, "virtual:// reset takes circuit or circuit:MS (EN's RC time constant in ms)")
                }
                wiring = .autoReset(enTimeConstant: tau)
            case "secure-download-mode":
                configuration.secureDownloadMode = try flag(option.value)
                if configuration.secureDownloadMode, profile.loader.securityInfo == .unsupported {
                    throw TransportError(.open, "the ESP32 has no secure download mode")
                }
            case "flash-encryption": configuration.flashEncryption = try flag(option.value)
            case "secure-boot": configuration.secureBoot = try flag(option.value)
            case "stub-running": configuration.stubRunning = try flag(option.value)
            case "no-flash": configuration.flashMissing = try flag(option.value)
            case "timing":
                guard let t = FlashTiming(rawValue: option.value) else { throw TransportError(.open, "virtual:// timing takes none or typical") }
                timing = t
            case "fault":
                let spec = option.value.split(separator: ":", maxSplits: 1).joined(separator: "=")
                if let problem = check.add(spec) { throw TransportError(.open, "virtual:// fault '\(option.value)': \(problem)") }
                faultSpecs.append(spec)
            default:
                throw TransportError(.open, "unknown virtual:// option '\(option.key)' (" + EmulatorPortOpener.optionKeys.joined(separator: ", ") + ")")
            }
        }
        self.profile = profile
        self.flashFile = address.value("flash")
        self.flashSize = size
        self.sizeGiven = address.value("size") != nil
        self.configuration = configuration
        self.wiring = wiring
        self.timing = timing
        self.faultSpecs = faultSpecs
    }

    /// An existing flash file of `count` bytes: a larger file than the default sets the chip's size (the file is a
    /// whole flash, and saving must not cut it); one larger than `size=` is refused for the same reason.
    mutating func fit(contents count: Int, file: String) throws(TransportError) {
        guard count > flashSize else { return }
        guard !sizeGiven else {
            throw TransportError(.open, "\(file) holds \(count) bytes, more than size=\(Self.sizeText(flashSize)); saving would cut it"
                                 + " (give size=\(Self.sizeText(Self.flashSize(holding: count))) or leave size= out)")
        }
        flashSize = Self.flashSize(holding: count)
    }

    /// `8MB`, `64KB`: a size as `size=` takes it.
    static func sizeText(_ bytes: Int) -> String { bytes % (1 << 20) == 0 ? "\(bytes >> 20)MB" : "\(bytes >> 10)KB" }

    /// The smallest power-of-two flash size of at least 64 KB that holds `count` bytes.
    public static func flashSize(holding count: Int) -> Int {
        var size = 0x10000
        while size < count { size <<= 1 }
        return size
    }

    /// `circuit` (10 ms, a 10 kΩ pull-up with 1 µF) or `circuit:MS`.
    static func enTimeConstant(_ text: String) -> Double? {
        if text == "circuit" { return 0.010 }
        guard text.hasPrefix("circuit:"), let ms = Double(text.dropFirst("circuit:".count).filter { $0 != "m" && $0 != "s" }), ms > 0 else {
            return nil
        }
        return ms / 1000
    }
}

extension InProcessTransport: EmulatedFlashStore {
    /// Writes the emulated flash back to the `flash=` file of its address (temp file + rename).
    public func save() throws(TransportError) {
        guard let file = flashFile else { return }
        try EmulatorPortOpener.saveFlash(device.flash.contents, to: file)
    }
}
