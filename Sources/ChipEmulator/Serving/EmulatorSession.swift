import SerialBootloader
import ImageFormats
#if canImport(Glibc)
import Glibc
#endif

/// Carries bytes between one connection and the emulated device: SLIP framing, injected faults, the modelled UART
/// speed, statistics and the frame log. The caller owns the file descriptor.
///
/// With a `board`, DTR/RTS from the host reach the chip's reset logic, frames count only while it is in download
/// mode, and what UART0 prints meanwhile (boot logs) goes to the host. When the host's line rate is known (a pty,
/// an RFC 2217 server, `virtual://`) and the ROM runs more than 3 % off it (a wrong divisor for the crystal),
/// bytes are misread both ways, as a UART sampling at the wrong rate does.
public final class EmulatorSession {
    public let device: EmulatedDevice
    public let board: EmulatedBoard?
    public let faults: FaultPlan
    /// Bits per second the line is modelled at (10 bits per byte); nil for no limit.
    public let modelledBaud: Int?
    public private(set) var statistics = WireStatistics()
    private var random: SeededGenerator
    private var decoder = SLIPDecoder()
    private var framesThisConnection = 0
    private var framesTotal = 0
    private var rxFreeAt = 0.0
    private let log: ((String) -> Void)?
    private let started = Clock.now()

    private var reenumerated = false

    public init(device: EmulatedDevice, board: EmulatedBoard? = nil, faults: FaultPlan = FaultPlan(), modelledBaud: Int? = nil,
                log: ((String) -> Void)? = nil) {
        self.device = device
        self.board = board
        self.faults = faults
        self.modelledBaud = modelledBaud
        self.random = SeededGenerator(seed: faults.seed)
        self.log = log
        for address in faults.badSectors where address < device.flash.size { device.wearOut(sectorContaining: address) }
    }

    /// A new client connected: the decoder and the per-connection fault counter start over.
    public func beginConnection() {
        decoder = SLIPDecoder()
        framesThisConnection = 0
        statistics.connections += 1
        log?(stamp() + " connect")
    }

    /// What to do after some bytes arrived.
    public enum Action {
        case keepGoing, disconnect
        /// The port vanishes and comes back (`reenumerate-after`).
        case reenumerate
    }

    /// Whether the host's line rate and the ROM's UART rate are within 3 % of each other (unknown rates agree).
    public func ratesMatch(_ lineBaud: Int?) -> Bool {
        guard let lineBaud, let chip = device.baudRate else { return true }
        return abs(Double(lineBaud - chip)) <= Double(chip) * ATLinkSession.baudTolerance
    }

    /// The host set DTR and/or RTS: the board's reset logic sees it now; what the chip prints goes to `send`.
    public func setControlLines(dtr: Bool?, rts: Bool?, send: ([UInt8]) -> Bool) {
        guard let board else { return }
        log?(stamp() + " lines" + (dtr.map { " DTR \($0 ? 1 : 0)" } ?? "") + (rts.map { " RTS \($0 ? 1 : 0)" } ?? ""))
        board.setLines(dtr: dtr, rts: rts, at: Clock.now())
        flushBoardOutput(send: send)
    }

    /// Time passed: the board's EN crossing or watchdog; what the chip prints goes to `send`.
    public func tick(send: ([UInt8]) -> Bool) {
        guard let board else { return }
        board.advance(to: Clock.now())
        flushBoardOutput(send: send)
    }

    /// When `tick` next has something to do.
    public var nextDeadline: Double? { board?.nextDeadline }

    private func flushBoardOutput(send: ([UInt8]) -> Bool) {
        guard let board else { return }
        let text = board.takeOutput()
        guard !text.isEmpty else { return }
        if send(text) { statistics.bytesOut += text.count }
        log?(stamp() + " UART0 \(text.count) bytes: " + String(decoding: text.prefix(80).map { $0 == 13 || $0 == 10 ? 0x20 : $0 }, as: UTF8.self))
    }

    /// Feeds received bytes; writes replies with `send`. Returns `.disconnect` when a fault closes the line.
    public func receive(_ bytes: [UInt8], lineBaud: Int? = nil, send: ([UInt8]) -> Bool) -> Action {
        statistics.bytesIn += bytes.count
        if let baud = modelledBaud {
            rxFreeAt = max(Clock.now(), rxFreeAt) + Double(bytes.count * 10) / Double(baud)
        }
        if let board {
            board.advance(to: Clock.now())
            flushBoardOutput(send: send)
            guard board.acceptsLoaderTraffic else { return .keepGoing }  // the app on UART0 ignores loader frames
        }
        device.lineBaudHint = lineBaud
        let matched = ratesMatch(lineBaud)
        if !matched { log?(stamp() + " RX at \(lineBaud ?? 0) baud, ROM at \(device.baudRate ?? 0): garbled") }
        for event in decoder.feed(matched ? bytes : bytes.map(ATLinkSession.misread)) {
            guard case .packet(var frame) = event else {
                log?(stamp() + " RX bad frame (escape error) dropped")
                continue
            }
            statistics.framesIn += 1
            framesThisConnection += 1
            framesTotal += 1
            if let limit = faults.silentAfterFrames, framesTotal > limit {
                log?(stamp() + " fault: silent-after \(limit) frames")
                continue
            }
            if random.chance(faults.corruptReceive), !frame.isEmpty {
                let bit = Int(random.next() % UInt64(frame.count * 8))
                frame[bit / 8] ^= 1 << UInt8(bit % 8)
                log?(stamp() + " fault: corrupt-rx flipped bit \(bit)")
            }
            let opcodeName = frame.count > 1 ? Opcode.name(frame[1]) : "?"
            statistics.requests[opcodeName, default: 0] += 1
            log?(stamp() + " RX \(opcodeName) \(frame.count) bytes " + Self.hexPrefix(frame))
            let output = device.handle(frame: frame)
            if let baud = modelledBaud { Clock.sleep(until: rxFreeAt, unitBaud: baud) }
            Clock.sleep(seconds: output.busySeconds + Double(faults.delayReplyMilliseconds) / 1000)
            if random.chance(faults.dropReply) {
                log?(stamp() + " fault: drop-reply")
            } else {
                for (index, reply) in output.replies.enumerated() {
                    var wire = SLIP.encode(reply)
                    if !matched { wire = wire.map(ATLinkSession.misread) }
                    if index == 0, random.chance(faults.truncateReply) {
                        wire = Array(wire.prefix(max(1, wire.count / 2)))
                        log?(stamp() + " fault: truncate-reply to \(wire.count) bytes")
                    }
                    if let baud = modelledBaud { Clock.sleep(seconds: Double(wire.count * 10) / Double(baud)) }
                    guard send(wire) else { return .disconnect }
                    statistics.bytesOut += wire.count
                    statistics.framesOut += 1
                    log?(stamp() + " TX \(Opcode.name(reply.count > 1 ? reply[1] : 0)) \(reply.count) bytes " + Self.hexPrefix(reply))
                }
            }
            if let board, device.running == .flashApplication {
                board.loaderRanUserCode(at: Clock.now())
                flushBoardOutput(send: send)
                return .keepGoing  // the app on UART0 ignores the rest
            }
            if let limit = faults.disconnectAfterFrames, framesThisConnection >= limit {
                log?(stamp() + " fault: disconnect-after \(limit) frames")
                return .disconnect
            }
            if let limit = faults.reenumerateAfterFrames, framesTotal >= limit, !reenumerated {
                reenumerated = true
                log?(stamp() + " fault: reenumerate-after \(limit) frames: the port vanishes, the chip resets into download mode")
                device.resetROM()
                decoder = SLIPDecoder()
                return .reenumerate
            }
        }
        return .keepGoing
    }

    private func stamp() -> String {
        let t = Clock.now() - started
        let ms = Int((t * 1000).rounded())
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - String(ms % 1000).count))\(ms % 1000)"
    }

    static func hexPrefix(_ bytes: [UInt8], limit: Int = 48) -> String {
        let shown = bytes.prefix(limit).map { b in let s = String(b, radix: 16); return s.count == 1 ? "0" + s : s }.joined()
        return bytes.count > limit ? shown + "…" : shown
    }
}

