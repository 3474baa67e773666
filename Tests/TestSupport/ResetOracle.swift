import ChipEmulator
import Foundation

/// What a program did to a serial port, as the modem-line shim (Tools/modem-trace) recorded it.
public struct ModemTrace: Sendable {
    public enum Event: Sendable, Equatable {
        /// The port opened: Linux raises DTR and RTS.
        case open
        /// A modem-line ioctl; the lines after it (asserted = true).
        case lines(op: String, dtr: Bool, rts: Bool)
        case write(bytes: Int)
        /// The port closed; the lines after it (dropped when HUPCL is set).
        case close(dtr: Bool, rts: Bool)
        case baud(Int)
    }

    public var events: [(time: Double, event: Event)]

    public init(parsing text: String) {
        events = text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard f.count >= 2, let t = Double(f[0]) else { return nil }
            switch f[1] {
            case "open": return (t, .open)
            case "lines" where f.count == 5: return (t, .lines(op: f[2], dtr: f[3] == "1", rts: f[4] == "1"))
            case "write" where f.count == 3: return (t, .write(bytes: Int(f[2]) ?? 0))
            case "close" where f.count == 4: return (t, .close(dtr: f[2] == "1", rts: f[3] == "1"))
            case "baud" where f.count == 3: return (t, .baud(Int(f[2]) ?? 0))
            default: return nil
            }
        }
    }

    public init(contentsOf path: String) throws { self.init(parsing: try String(contentsOfFile: path, encoding: .utf8)) }

    /// The line states in order, each change once (ioctls that changed nothing dropped), with their times.
    public var lineStates: [(time: Double, dtr: Bool, rts: Bool)] {
        var out: [(Double, Bool, Bool)] = []
        var current: (Bool, Bool)?
        for (t, e) in events {
            let next: (Bool, Bool)
            switch e {
            case .open: next = (true, true)
            case .lines(_, let d, let r): next = (d, r)
            case .close(let d, let r): next = (d, r)
            default: continue
            }
            if current.map({ $0 != next }) ?? true { out.append((t, next.0, next.1)) }
            current = next
        }
        return out
    }

    /// Time of the first write, and of the last.
    public var firstWrite: Double? { events.first { if case .write = $0.event { true } else { false } }?.time }
    public var lastWrite: Double? { events.last { if case .write = $0.event { true } else { false } }?.time }
}

/// Runs a modem-line trace through a model of the board (the auto-reset circuit with EN's RC, or the
/// USB-Serial/JTAG's reset logic) and says what the chip did: every time it left reset and how, and every window
/// in which EN had been released after a reset pulse while IO0 was still high.
///
/// Each modem-line ioctl reaches the board one USB control transfer after the previous one
/// (`bridgeLatency`, 2 ms: a full-speed bridge finishes a control request in one to a few 1 ms frames, and the
/// ioctl waits for it): user-space timestamps would hide how long an intermediate state really lasts.
public struct ResetOracle: Sendable {
    public var bridgeLatency = 0.002
    public var wiring: EmulatedBoard.Wiring

    public init(wiring: EmulatedBoard.Wiring) { self.wiring = wiring }

    public struct Verdict: Sendable, CustomStringConvertible {
        /// (time since the trace began, how the chip left reset).
        public var boots: [(time: Double, mode: AutoResetCircuit.Boot)] = []
        /// Before the first write (the connect reset): EN released after a pulse while IO0 was high, until IO0 went
        /// low, EN low again, or the chip left reset: (start, length). A window that lasts until EN crosses its
        /// threshold boots the flash.
        public var glitchWindows: [(start: Double, length: Double)] = []
        /// Boots between the first reset pulse and the first byte written.
        public var bootsBeforeFirstWrite: [AutoResetCircuit.Boot] = []
        /// Boots after the last byte written.
        public var bootsAfterLastWrite: [AutoResetCircuit.Boot] = []
        /// Whether EN was pulled low before the first write.
        public var resetBeforeFirstWrite = false

        /// The connect reset ended in download mode and nothing booted the flash on the way.
        public var entersDownloadMode: Bool {
            resetBeforeFirstWrite && !bootsBeforeFirstWrite.isEmpty && bootsBeforeFirstWrite.allSatisfy { $0 == .downloadMode }
        }

        /// After the last command the chip left reset once, into its flash (`--after hard-reset`).
        public var runsAppAfterwards: Bool { bootsAfterLastWrite == [.flash] }

        public var description: String {
            "boots \(boots.map { String(format: "%.3f %@", $0.time, $0.mode == .downloadMode ? "download" : "flash") }), "
                + "glitch windows \(glitchWindows.map { String(format: "%.4f+%.4f", $0.start, $0.length) })"
        }
    }

    public func evaluate(_ trace: ModemTrace) -> Verdict {
        var verdict = Verdict()
        guard let t0 = trace.events.first?.time else { return verdict }
        // The chip has been running for a while (powered long ago with the lines idle).
        var circuit = AutoResetCircuit(enTimeConstant: enTimeConstant, poweredAt: -10)
        _ = circuit.advance(to: -5)
        var usb = USBSerialJTAGResetLogic()
        var effective = -Double.infinity
        var windowStart: Double?
        let firstWrite = trace.firstWrite.map { $0 - t0 } ?? .infinity
        let lastWrite = trace.lastWrite.map { $0 - t0 } ?? -.infinity
        func record(_ mode: AutoResetCircuit.Boot, at t: Double) {
            verdict.boots.append((t, mode))
            if t < firstWrite { verdict.bootsBeforeFirstWrite.append(mode) }
            if t > lastWrite { verdict.bootsAfterLastWrite.append(mode) }
        }
        func closeWindow(at t: Double) {
            guard let start = windowStart else { return }
            if start < firstWrite { verdict.glitchWindows.append((start, t - start)) }
            windowStart = nil
        }
        func advance(to t: Double) {
            guard let crossing = circuit.nextEvent, let boot = circuit.advance(to: t) else { return }
            closeWindow(at: crossing)
            record(boot, at: crossing)
        }
        for state in trace.lineStates {
            effective = max(state.time - t0, effective + bridgeLatency)
            switch wiring {
            case .autoReset:
                advance(to: effective)
                circuit.setLines(dtr: state.dtr, rts: state.rts, at: effective)
                if circuit.enDrivenLow, effective < firstWrite { verdict.resetBeforeFirstWrite = true }
                // EN rising after a pulse while IO0 is high: if it crosses now, the chip boots its flash.
                let open = circuit.releasedAt != nil && !circuit.io0Low
                if open, windowStart == nil { windowStart = effective }
                if !open { closeWindow(at: effective) }
            case .usbSerialJTAG:
                if let boot = usb.setLines(dtr: state.dtr, rts: state.rts) {
                    if effective < firstWrite { verdict.resetBeforeFirstWrite = true }
                    record(boot, at: effective)
                }
            }
        }
        advance(to: effective + 1)
        return verdict
    }

    private var enTimeConstant: Double {
        if case .autoReset(let tau) = wiring { return tau }
        return 0
    }
}
