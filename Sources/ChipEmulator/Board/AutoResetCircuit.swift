#if canImport(Glibc)
import Glibc
#endif

/// The auto-reset circuit of ESP32 development boards: two NPN transistors between the USB-UART bridge's DTR and
/// RTS and the chip's EN and IO0. A line asserted by the host (`true`) is driven low, so EN is pulled low only
/// with RTS asserted and DTR released, IO0 only with DTR asserted and RTS released; both asserted, like both
/// released, leave EN and IO0 high. EN has a pull-up and a capacitor: once released it rises with time constant
/// `enTimeConstant`, and the chip leaves reset when it crosses `threshold` of the supply, sampling IO0 then (low:
/// download mode, high: boot from flash). A pulse that pulls EN low discharges it at once (the transistor is far
/// stronger than the pull-up).
///
/// Pure and clocked by the caller: the emulator drives it with the times SET-CONTROL requests arrive, and the
/// tests' modem-line oracle with the times a program's ioctls happened.
public struct AutoResetCircuit: Sendable {
    /// EN's RC time constant in seconds (10 kΩ with 1 µF is 10 ms; boards with 0.1 µF have 1 ms).
    public let enTimeConstant: Double
    /// The fraction of the supply at which EN releases reset (the datasheets' V_IH of CHIP_PU, 0.75 × VDD).
    public static let threshold = 0.75

    /// DTR and RTS as the host set them (asserted = true).
    public private(set) var dtr = false
    public private(set) var rts = false
    /// When EN was last released from low and has not crossed the threshold yet.
    public private(set) var releasedAt: Double?
    /// IO0's level changes since EN was released: (time, IO0 low).
    private var io0Changes: [(time: Double, low: Bool)] = []
    /// Whether the chip is held in reset (EN below its threshold).
    public private(set) var inReset: Bool

    /// A board powered at `time` with the lines released: EN starts rising from 0 V then.
    public init(enTimeConstant: Double, poweredAt time: Double) {
        self.enTimeConstant = enTimeConstant
        releasedAt = time
        inReset = true
    }

    /// EN driven low by the circuit.
    public var enDrivenLow: Bool { rts && !dtr }
    /// IO0 driven low by the circuit.
    public var io0Low: Bool { dtr && !rts }

    /// Seconds from EN's release to its crossing of the threshold: τ · ln(1 / (1 − threshold)).
    public var releaseDelay: Double { enTimeConstant * log(1 / (1 - Self.threshold)) }

    /// When the pending release completes, if one is pending.
    public var nextEvent: Double? { releasedAt.map { $0 + releaseDelay } }

    /// What the chip does when it leaves reset.
    public enum Boot: Sendable, Equatable {
        case downloadMode, flash
    }

    /// Sets the lines given (nil leaves one alone) at `time`. Returns true when this pulled EN low on a running chip
    /// (it enters reset).
    @discardableResult
    public mutating func setLines(dtr newDTR: Bool?, rts newRTS: Bool?, at time: Double) -> Bool {
        let wasLow = enDrivenLow
        let wasRunning = !inReset
        if let newDTR { dtr = newDTR }
        if let newRTS { rts = newRTS }
        if enDrivenLow {
            inReset = true
            releasedAt = nil
            io0Changes = []
            return wasRunning
        }
        if wasLow {
            releasedAt = time  // EN starts charging
            io0Changes = [(time, io0Low)]
        } else if releasedAt != nil {
            io0Changes.append((time, io0Low))
        }
        return false
    }

    /// Lets time pass to `time`: if EN crossed its threshold meanwhile, the chip leaves reset and this returns what
    /// IO0 was at that instant.
    public mutating func advance(to time: Double) -> Boot? {
        guard let crossing = nextEvent, time >= crossing else { return nil }
        let low = io0Changes.last(where: { $0.time <= crossing })?.low ?? io0Low
        releasedAt = nil
        io0Changes = []
        inReset = false
        return low ? .downloadMode : .flash
    }
}

/// The USB-Serial/JTAG peripheral's reset logic (ESP32-C3/S3/C6/H2/C5): the CDC line state is a command, not a
/// pin. DTR asserted alone sets the download flag, both released clear it, RTS asserted alone resets the chip at
/// once, both asserted do nothing. The chip boots into download mode when the flag was set as it reset.
public struct USBSerialJTAGResetLogic: Sendable {
    public private(set) var dtr = false
    public private(set) var rts = false
    public private(set) var downloadFlag = false

    public init() {}

    /// Sets the lines given; returns the boot when this reset the chip.
    public mutating func setLines(dtr newDTR: Bool?, rts newRTS: Bool?) -> AutoResetCircuit.Boot? {
        let wasReset = rts && !dtr
        if let newDTR { dtr = newDTR }
        if let newRTS { rts = newRTS }
        switch (dtr, rts) {
        case (false, false): downloadFlag = false
        case (true, false): downloadFlag = true
        case (false, true): if !wasReset { return downloadFlag ? .downloadMode : .flash }
        case (true, true): break
        }
        return nil
    }

    /// A reset the host did not ask for (a watchdog): the flag lives in the RTC domain that resets with it.
    public mutating func clearFlag() { downloadFlag = false }
}
