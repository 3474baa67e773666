/// How to get the chip into its ROM download mode before syncing (esptool `--before`).
public enum BeforeAction: String, Sendable, CaseIterable {
    case defaultReset = "default-reset"
    /// The USB-Serial/JTAG sequence. It also tells this tool that the port is the chip's own USB-Serial/JTAG
    /// (esptool 5.6 knows that only from a local port's USB id), so that its watchdogs are disabled after connecting.
    case usbReset = "usb-reset"
    case noReset = "no-reset"
    case noResetNoSync = "no-reset-no-sync"
}

/// What to do with the chip when done (esptool `--after`).
public enum AfterAction: String, Sendable, CaseIterable {
    case hardReset = "hard-reset"
    case softReset = "soft-reset"
    case noReset = "no-reset"
}

/// A DTR/RTS sequence as transport calls. `true` asserts a line, which drives the pin low: on dev boards RTS
/// pulls EN (reset) and DTR pulls IO0 (boot mode) through two transistors, so that both asserted, like both
/// released, leaves EN and IO0 high. Sequences from esp_pylib 1.2.0 `serial_reset.py` (esptool 5.6.0).
public struct ResetSequence: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Set the lines given (nil leaves one alone). With both given the two change in one step (one TIOCMSET on
        /// a serial port). Setting RTS alone re-writes DTR afterwards, as esptool's `set_rts` does (a Windows
        /// usbser.sys workaround that shows up in every trace).
        case lines(dtr: Bool?, rts: Bool?)
        case sleep(Double)
    }

    public let name: String
    public let steps: [Step]

    public init(name: String, steps: [Step]) {
        self.name = name
        self.steps = steps
    }

    /// Reset delay esptool starts with, and the longer one it falls back to (`DEFAULT_RESET_DELAY` + 0.5 s).
    public static let shortDelay = 0.05
    public static let longDelay = 0.55

    /// `classic_bootloader_reset`: one line at a time. Between asserting DTR and releasing RTS both are asserted,
    /// which releases EN with IO0 still high: only EN's RC delay keeps the chip from booting the flash then.
    public static func classic(delay: Double) -> ResetSequence {
        ResetSequence(name: "classic", steps: [
            .lines(dtr: false, rts: nil), .lines(dtr: nil, rts: true), .sleep(0.1),
            .lines(dtr: true, rts: nil), .lines(dtr: nil, rts: false), .sleep(delay),
            .lines(dtr: false, rts: nil),
        ])
    }

    /// `unix_tight_bootloader_reset`: every step sets both lines at once, so EN is released in the same step that
    /// pulls IO0 low. Only for transports that change both lines together.
    public static func unixTight(delay: Double) -> ResetSequence {
        ResetSequence(name: "unix-tight", steps: [
            .lines(dtr: false, rts: false), .lines(dtr: true, rts: true), .lines(dtr: false, rts: true), .sleep(0.1),
            .lines(dtr: true, rts: false), .sleep(delay), .lines(dtr: false, rts: false), .lines(dtr: false, rts: nil),
        ])
    }

    /// `usb_jtag_bootloader_reset`: the USB-Serial/JTAG peripheral (C3/S3/C6/H2/C5 on their own USB) reads the
    /// line pair as commands: DTR alone sets the download flag, RTS alone resets the chip, both released clear the
    /// flag. The flag is set, then RTS is asserted through (1, 1) so that the flag is not cleared on the way.
    public static let usbJTAG = ResetSequence(name: "usb-serial-jtag", steps: [
        .lines(dtr: nil, rts: false), .lines(dtr: false, rts: nil), .sleep(0.1),
        .lines(dtr: true, rts: nil), .lines(dtr: nil, rts: false), .sleep(0.1),
        .lines(dtr: nil, rts: true), .lines(dtr: false, rts: nil), .lines(dtr: nil, rts: true), .sleep(0.1),
        .lines(dtr: false, rts: nil), .lines(dtr: nil, rts: false),
    ])

    /// `--after hard-reset`: EN low with IO0 high, then both released, so the chip starts from flash whatever DTR
    /// was before (`--before no-reset` leaves DTR asserted from the port's opening, and a plain RTS pulse would
    /// then leave IO0 low and the chip in download mode). On the USB-Serial/JTAG the chip leaves the bus while it
    /// resets: held longer and given time to come back (esptool `HardReset(uses_usb=True)`).
    public static func hardReset(usb: Bool = false) -> ResetSequence {
        let hold = usb ? 0.2 : 0.1
        return ResetSequence(name: "hard-reset", steps: [
            .lines(dtr: false, rts: true), .sleep(hold), .lines(dtr: false, rts: false),
        ] + (usb ? [.sleep(0.2)] : []))
    }

    /// The strategies tried in turn over the connect attempts (esptool `_construct_reset_strategy_sequence`):
    /// none for `no-reset` or a port without control lines; USB-Serial/JTAG for `usb-reset` or a port that is one;
    /// unix-tight then classic (each with the short then the long delay) where the lines change together, classic
    /// only where they cannot (RFC 2217).
    public static func strategies(for before: BeforeAction, hasControlLines: Bool, linesChangeTogether: Bool = true,
                                  usbSerialJTAG: Bool = false) -> [ResetSequence] {
        guard hasControlLines else { return [] }
        switch before {
        case .noReset, .noResetNoSync: return []
        case .usbReset: return [.usbJTAG]
        case .defaultReset:
            if usbSerialJTAG { return [.usbJTAG] }
            let classic = [ResetSequence.classic(delay: shortDelay), .classic(delay: longDelay)]
            guard linesChangeTogether else { return classic }
            return [.unixTight(delay: shortDelay), .unixTight(delay: longDelay)] + classic
        }
    }

    /// Runs the steps on `transport`. RTS set alone is followed by a re-write of DTR (its last value set here).
    public func run(on transport: Transport, sleep: ((Double) -> Void)? = nil) throws(TransportError) {
        var dtr: Bool?
        for step in steps {
            switch step {
            case .lines(let d, let r):
                try transport.setControlLines(dtr: d, rts: r)
                if let d { dtr = d }
                if d == nil, r != nil, let dtr { try transport.setControlLines(dtr: dtr, rts: nil) }
            case .sleep(let s): if let sleep { sleep(s) } else { Clock.sleep(seconds: s) }
            }
        }
    }

    /// An esptool custom reset sequence (`custom_reset_sequence`, esp_pylib `parse_custom_reset_sequence`):
    /// steps separated by `|`; `D0`/`D1` set DTR, `R0`/`R1` set RTS (re-writing DTR), `U<dtr>,<rts>` set both at
    /// once, `W<seconds>` waits. A malformed step is a failure naming it.
    public static func custom(_ spec: String, name: String = "custom") -> Result<ResetSequence, CustomSequenceError> {
        var steps: [Step] = []
        for raw in spec.split(separator: "|") {
            let token = raw.strippingBlanks()
            guard let command = token.first else { continue }
            let argument = token.dropFirst().strippingBlanks()
            func digit(_ text: some StringProtocol) -> Bool? { text == "0" ? false : text == "1" ? true : nil }
            switch command.uppercased() {
            case "D":
                guard let value = digit(argument) else { return .failure(CustomSequenceError(step: token)) }
                steps.append(.lines(dtr: value, rts: nil))
            case "R":
                guard let value = digit(argument) else { return .failure(CustomSequenceError(step: token)) }
                steps.append(.lines(dtr: nil, rts: value))
            case "U":
                let parts = argument.split(separator: ",").map { $0.strippingBlanks() }
                guard parts.count == 2, let d = digit(parts[0]), let r = digit(parts[1]) else {
                    return .failure(CustomSequenceError(step: token))
                }
                steps.append(.lines(dtr: d, rts: r))
            case "W":
                guard let seconds = Double(argument), seconds >= 0 else { return .failure(CustomSequenceError(step: token)) }
                steps.append(.sleep(seconds))
            default:
                return .failure(CustomSequenceError(step: token))
            }
        }
        return .success(ResetSequence(name: name, steps: steps))
    }

    public struct CustomSequenceError: Error, Sendable, CustomStringConvertible {
        public let step: String
        public var description: String {
            "invalid reset sequence step '\(step)' (D0/D1, R0/R1, U<dtr>,<rts>, W<seconds>, separated by |)"
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func strippingBlanks() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
