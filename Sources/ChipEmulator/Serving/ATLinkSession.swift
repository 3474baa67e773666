import SerialBootloader
import ImageFormats
#if canImport(Glibc)
import Glibc
#endif

/// Carries bytes between a host and an emulated module's AT UART: the line rate check (a host at another baud rate
/// than the module's UART reads garbage and is not understood), the `--fault` kinds applied per command reply, and
/// statistics. Used by `EmulatorServer` (`emulate --at-listen`, `--at-pty`) and `ATUARTTransport` (`virtual://`).
public final class ATLinkSession: EmulatedLink {
    public let module: EmulatedModule
    public let faults: FaultPlan
    /// Boot the module again whenever a client connects (a module plugged in for each test run).
    public let bootOnConnect: Bool
    public private(set) var statistics = WireStatistics()
    private var random: SeededGenerator
    private var repliesThisConnection = 0
    private let log: ((String) -> Void)?

    public init(module: EmulatedModule, faults: FaultPlan = FaultPlan(), bootOnConnect: Bool = false, log: ((String) -> Void)? = nil) {
        self.module = module
        self.faults = faults
        self.bootOnConnect = bootOnConnect
        self.random = SeededGenerator(seed: faults.seed)
        self.log = log
    }

    /// Rates within this fraction of each other still understand each other (a UART samples mid-bit).
    public static let baudTolerance = 0.03

    public func beginConnection(send: ([UInt8]) -> Bool) {
        repliesThisConnection = 0
        statistics.connections += 1
        log?("AT connect")
        guard bootOnConnect else { return }
        let shown = module.reset(.powerOn)
        log?("AT boot: " + (module.notRunningReason ?? "AT firmware running"))
        if !shown.isEmpty, send(shown) { statistics.bytesOut += shown.count }
    }

    /// Whether a host line at `lineBaud` matches the module's AT UART (an unknown host rate always does).
    public func ratesMatch(_ lineBaud: Int?) -> Bool {
        guard let lineBaud, let baud = module.atBaudRate else { return true }
        return abs(Double(lineBaud - baud)) <= Double(baud) * Self.baudTolerance
    }

    public func receive(_ bytes: [UInt8], lineBaud: Int?, send: ([UInt8]) -> Bool) -> EmulatorSession.Action {
        statistics.bytesIn += bytes.count
        var input = bytes
        let matched = ratesMatch(lineBaud)
        // A reset through the download UART's lines (or a watchdog) restarted the firmware meanwhile: its `ready`.
        let restarted = module.takeUndeliveredATOutput()
        if !restarted.isEmpty {
            guard send(matched ? restarted : restarted.map(Self.misread)) else { return .disconnect }
            statistics.bytesOut += restarted.count
        }
        if !matched {
            // Sampled at the wrong rate the bytes arrive as other bytes, and never as a line end.
            input = input.map(Self.misread)
            log?("AT RX at \(lineBaud ?? 0) baud, module at \(module.atBaudRate ?? 0): garbled")
        }
        if random.chance(faults.corruptReceive), !input.isEmpty {
            let bit = Int(random.next() % UInt64(input.count * 8))
            input[bit / 8] ^= 1 << UInt8(bit % 8)
            log?("AT fault: corrupt-rx flipped bit \(bit)")
        }
        for reply in module.receiveAT(input) {
            statistics.framesIn += 1
            repliesThisConnection += 1
            if faults.delayReplyMilliseconds > 0 { Clock.sleep(seconds: Double(faults.delayReplyMilliseconds) / 1000) }
            var wire = matched ? reply.bytes : reply.bytes.map(Self.misread)
            if random.chance(faults.dropReply) {
                log?("AT fault: drop-reply")
                wire = []
            } else if random.chance(faults.truncateReply) {
                wire = Array(wire.prefix(max(1, wire.count / 2)))
                log?("AT fault: truncate-reply to \(wire.count) bytes")
            }
            if !wire.isEmpty {
                guard send(wire) else { return .disconnect }
                statistics.bytesOut += wire.count
                statistics.framesOut += 1
                log?("AT TX \(wire.count) bytes")
            }
            if let limit = faults.disconnectAfterFrames, repliesThisConnection >= limit {
                log?("AT fault: disconnect-after \(limit) replies")
                return .disconnect
            }
        }
        return .keepGoing
    }

    /// A byte read at the wrong rate: some other byte, with the top bit set so that it is never CR or LF.
    static func misread(_ byte: UInt8) -> UInt8 { (byte ^ 0x5A) | 0x80 }
}

/// `virtual://CHIP?flash=FILE` opened for the AT UART: the module in this process, booted from FILE's flash.
/// Writes go to the AT firmware; what it answers waits here until read. `save()` writes the flash back.
public final class ATUARTTransport: Transport, EmulatedFlashStore {
    public let portName: String
    public let session: ATLinkSession
    public var canChangeBaudRate: Bool { true }
    public var hasControlLines: Bool { false }
    public var answersImmediately: Bool { true }
    public private(set) var baudRate: Int
    private var pending: [UInt8] = []
    private var closed = false
    public var flashFile: String?

    public init(session: ATLinkSession, portName: String, baudRate: Int, bootOutput: [UInt8]) {
        self.session = session
        self.portName = portName
        self.baudRate = baudRate
        pending = session.ratesMatch(baudRate) ? bootOutput : bootOutput.map(ATLinkSession.misread)
    }

    public var module: EmulatedModule { session.module }

    public func write(_ bytes: [UInt8]) throws(TransportError) {
        guard !closed else { throw TransportError(.disconnected, "\(portName) is closed") }
        let action = session.receive(bytes, lineBaud: baudRate) { pending += $0; return true }
        if action == .disconnect {
            pending.removeAll()
            throw TransportError(.disconnected, "\(portName): connection closed by the device")
        }
    }

    public func read(maxCount: Int, timeout: Double) throws(TransportError) -> [UInt8] {
        guard !closed else { throw TransportError(.disconnected, "\(portName) is closed") }
        let n = min(maxCount, pending.count)
        defer { pending.removeFirst(n) }
        return Array(pending.prefix(n))
    }

    public func setBaudRate(_ baud: Int) throws(TransportError) { baudRate = baud }
    public func setControlLines(dtr: Bool?, rts: Bool?) throws(TransportError) {}
    public func discardInput() throws(TransportError) { pending.removeAll() }
    public func close() { closed = true }

    public func save() throws(TransportError) {
        guard let file = flashFile else { return }
        try EmulatorPortOpener.saveFlash(module.device.flash.contents, to: file)
    }
}
