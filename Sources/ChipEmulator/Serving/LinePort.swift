import ImageFormats
import SerialBootloader
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `virtual://CHIP?line=SEED[&flash-dir=DIR][&fault=KIND:VALUE…][&baud-model=BAUD][&flash-timing=typical][&size=4MB]`:
/// a production line's jig in this process. A blank emulated module sits at the port; when the station says it is
/// done with it (`ModuleLineOpener.moduleDone`), the next one takes its place, with the next MAC. MACs come from SEED
/// and the module's number, so a run repeats exactly: seeds 0–255 give distinct MACs for 65,536 modules each.
///
/// Both UARTs of the module at the port are one chip: opened for `.bootloader` it is in download mode, for
/// `.atCommands` it boots what is in its flash then (the AT UART). With `flash-dir` the module's flash is saved as
/// `DIR/MAC.bin` whenever a port to it is closed, and a module whose file is there already starts with that flash
/// (the same module placed again). `fault=KIND:VALUE` takes `emulate --fault`'s kinds and applies to the download
/// UART of every module on the line (random choices seeded per module); `baud-model` and `flash-timing` are
/// `emulate`'s `--baud-model` and `--flash-timing`; `swap=MS` is how long the next module takes to be put in place
/// (opening the port waits for it).
public final class LinePorts: Sendable {
    private let lines = Mutex<[String: LinePortBox]>([:])

    public init() {}

    /// The options a line port takes.
    public static let optionKeys = ["line", "flash-dir", "fault", "baud-model", "flash-timing", "size", "swap"]

    /// Whether `address` names a line port.
    public static func isLine(_ address: PortAddress) -> Bool {
        if case .virtual(let virtual) = address { return virtual.value("line") != nil }
        return false
    }

    func open(_ address: VirtualPortAddress, baudRate: Int, role: PortRole, faults: FaultPlan) throws(TransportError) -> any Transport {
        let line = try line(for: address, faults: faults)
        line.waitForModule()
        return line.withModule { module in
            switch role {
            case .bootloader:
                let transport = InProcessTransport(session: module.session, portName: address.description)
                transport.flashFile = module.flashFile
                return transport
            case .atCommands:
                let booted = EmulatedModule(device: module.device)
                let transport = ATUARTTransport(session: ATLinkSession(module: booted), portName: address.description, baudRate: baudRate,
                                                bootOutput: booted.bootOutputOnATUART)
                transport.flashFile = module.flashFile
                return transport
            }
        }
    }

    /// The module at the line port leaves; the next one is put there. Nothing for a port never opened.
    func moduleDone(at address: VirtualPortAddress) {
        lines.withLock { $0[address.description] }?.line.advance()
    }

    /// The MAC of the module now at the port (opening it first if needed); for tests and demos.
    public func currentMAC(_ address: VirtualPortAddress, faults: FaultPlan = FaultPlan()) throws(TransportError) -> [UInt8] {
        try line(for: address, faults: faults).withModule { $0.device.mac }
    }

    private func line(for address: VirtualPortAddress, faults: FaultPlan) throws(TransportError) -> LinePort {
        if let existing = lines.withLock({ $0[address.description] }) { return existing.line }
        let spec = try LineSpec(address, faults: faults)
        return lines.withLock { table in
            if let raced = table[address.description] { return raced.line }
            let line = LinePort(spec: spec)
            table[address.description] = LinePortBox(line: line)
            return line
        }
    }
}

/// The MAC of module `number` on the line with `seed`: Espressif's OUI, then a bijective mix of the seed's low byte
/// and the 16-bit module number.
public func lineModuleMAC(seed: UInt64, number: Int) -> [UInt8] {
    var x = UInt32(seed & 0xFF) << 16 | UInt32(number & 0xFFFF)
    let mask: UInt32 = 0xFF_FFFF
    // Odd multipliers and right xor-shifts are each invertible modulo 2^24, so distinct inputs stay distinct.
    x = (x &* 0x9E_3779) & mask
    x ^= x >> 12
    x = (x &* 0x5B_D1E9) & mask
    x ^= x >> 11
    return [0x24, 0x0A, 0xC4, UInt8(x >> 16 & 0xFF), UInt8(x >> 8 & 0xFF), UInt8(x & 0xFF)]
}

/// What a line port's address asks for, checked.
struct LineSpec: Sendable {
    let profile: RomProfile
    let seed: UInt64
    let flashDirectory: String?
    let faults: FaultPlan
    let modelledBaud: Int?
    let timing: FlashTiming
    let flashSize: Int
    /// Seconds until the next module is in place.
    let swapSeconds: Double

    init(_ address: VirtualPortAddress, faults base: FaultPlan) throws(TransportError) {
        guard let profile = RomProfile.profile(for: address.chip) else {
            throw TransportError(.open, "virtual:// emulates " + RomProfile.emulatedChips.map(\.rawValue).joined(separator: ", ")
                                 + "; not \(address.chip.rawValue)")
        }
        func bad(_ message: String) -> TransportError { TransportError(.open, "\(address.description): \(message)") }
        var seed: UInt64 = 0
        var faults = base
        var seedGiven = false
        var baud: Int?
        var timing = FlashTiming.none
        var size = 4 << 20
        var swap = 0.0
        for option in address.options {
            switch option.key {
            case "line":
                guard let s = UInt64(option.value) else { throw bad("line=SEED takes a non-negative integer, not '\(option.value)'") }
                seed = s
            case "flash-dir": break
            case "fault":
                // `KIND:VALUE` in a URL (`=` would end the option); the kinds of `emulate --fault`.
                let spec = option.value.split(separator: ":", maxSplits: 1).joined(separator: "=")
                if let problem = faults.add(spec) { throw bad(problem) }
                if spec.hasPrefix("seed=") { seedGiven = true }
            case "baud-model":
                guard let b = Int(option.value), b > 0 else { throw bad("baud-model takes a baud rate like 921600") }
                baud = b
            case "flash-timing":
                guard let t = FlashTiming(rawValue: option.value) else { throw bad("flash-timing is none or typical") }
                timing = t
            case "size":
                guard let s = IntegerText.sizeOrAddress(option.value), s >= 0x10000, s & (s - 1) == 0 else {
                    throw bad("size '\(option.value)' must be a power of two like 4MB")
                }
                size = s
            case "swap":
                guard let ms = Int(option.value), ms >= 0 else { throw bad("swap takes milliseconds") }
                swap = Double(ms) / 1000
            default:
                throw bad("unknown option '\(option.key)' for a line port (" + LinePorts.optionKeys.joined(separator: ", ") + ")")
            }
        }
        if !seedGiven { faults.seed = seed &+ 1 }
        self.profile = profile
        self.seed = seed
        self.flashDirectory = address.value("flash-dir")
        self.faults = faults
        self.modelledBaud = baud
        self.timing = timing
        self.flashSize = size
        self.swapSeconds = swap
    }
}

/// One module at a line port: the chip, its download-mode session (kept across reconnects, so that `silent-after`
/// counts over all of them) and the file its flash is saved to.
final class LineModule {
    let device: EmulatedDevice
    let session: EmulatorSession
    let flashFile: String?

    init(spec: LineSpec, number: Int) {
        let mac = lineModuleMAC(seed: spec.seed, number: number)
        let file = spec.flashDirectory.map { $0 + "/" + mac.map { String(format2: $0) }.joined() + ".bin" }
        var contents: [UInt8]?
        if let file, access(file, F_OK) == 0 { contents = EmulatorPortOpener.readFile(file, limit: InputLimits.flashSize) }
        device = EmulatedDevice(profile: spec.profile, flashSize: spec.flashSize, flashContents: contents, timing: spec.timing, mac: mac)
        var faults = spec.faults
        // Each module draws its own fault choices, repeatably.
        faults.seed = spec.faults.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(number)
        session = EmulatorSession(device: device, faults: faults, modelledBaud: spec.modelledBaud)
        flashFile = file
    }
}

/// A line port's state; its module is touched by one job at a time, the lock orders the hand-overs between them.
final class LinePort: @unchecked Sendable {
    let spec: LineSpec
    private let lock = Mutex<Void>(())
    private var number = 0
    private var module: LineModule
    private var readyAt = 0.0

    init(spec: LineSpec) {
        self.spec = spec
        module = LineModule(spec: spec, number: 0)
    }

    func withModule<T>(_ body: (LineModule) -> T) -> T {
        lock.withLock { _ in body(module) }
    }

    /// Waits (on the caller's thread) until the next module is in place.
    func waitForModule() {
        let ready = lock.withLock { _ in readyAt }
        Clock.sleep(seconds: ready - Clock.now())
    }

    func advance() {
        lock.withLock { _ in
            readyAt = Clock.now() + spec.swapSeconds
            number += 1
            module = LineModule(spec: spec, number: number)
        }
    }
}

struct LinePortBox: Sendable {
    let line: LinePort
}

extension String {
    /// Two lower-case hex digits.
    init(format2 byte: UInt8) {
        let s = String(byte, radix: 16)
        self = s.count == 1 ? "0" + s : s
    }
}

extension EmulatorPortOpener: ModuleLineOpener {
    public func isLine(_ address: PortAddress) -> Bool { LinePorts.isLine(address) }

    public func moduleDone(at address: PortAddress) {
        if case .virtual(let virtual) = address { lines.moduleDone(at: virtual) }
    }
}
