/// How to get the chip into its ROM download mode before syncing (esptool `--before`).
public enum BeforeAction: String, Sendable, CaseIterable {
    case defaultReset = "default-reset"
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
/// pulls EN (reset) and DTR pulls IO0 (boot mode). Sequences from esp_pylib `serial_reset.py`
/// (shared/reference/esptool.md §4.2).
public struct ResetSequence: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Set the lines given (nil leaves one alone). Both in one step is one TIOCMSET on a serial port.
        case lines(dtr: Bool?, rts: Bool?)
        case sleep(Double)
    }

    public let name: String
    public let steps: [Step]

    /// Reset delay esptool starts with, and the longer one it falls back to (`DEFAULT_RESET_DELAY` + 0.5 s).
    public static let shortDelay = 0.05
    public static let longDelay = 0.55

    public static func classic(delay: Double) -> ResetSequence {
        ResetSequence(name: "classic", steps: [
            .lines(dtr: false, rts: nil), .lines(dtr: nil, rts: true), .sleep(0.1),
            .lines(dtr: true, rts: nil), .lines(dtr: nil, rts: false), .sleep(delay),
            .lines(dtr: false, rts: nil),
        ])
    }

    public static func unixTight(delay: Double) -> ResetSequence {
        ResetSequence(name: "unix-tight", steps: [
            .lines(dtr: false, rts: false), .lines(dtr: true, rts: true), .lines(dtr: false, rts: true), .sleep(0.1),
            .lines(dtr: true, rts: false), .sleep(delay), .lines(dtr: false, rts: false), .lines(dtr: false, rts: nil),
        ])
    }

    /// USB-Serial/JTAG peripheral (ESP32-C3/S3/C6/H2 on their own USB).
    public static let usbJTAG = ResetSequence(name: "usb-serial-jtag", steps: [
        .lines(dtr: nil, rts: false), .lines(dtr: false, rts: nil), .sleep(0.1),
        .lines(dtr: true, rts: nil), .lines(dtr: nil, rts: false), .sleep(0.1),
        .lines(dtr: nil, rts: true), .lines(dtr: false, rts: nil), .lines(dtr: nil, rts: true), .sleep(0.1),
        .lines(dtr: false, rts: nil), .lines(dtr: nil, rts: false),
    ])

    /// `--after hard-reset`: pulse EN through RTS.
    public static let hardReset = ResetSequence(name: "hard-reset", steps: [
        .lines(dtr: nil, rts: true), .sleep(0.1), .lines(dtr: nil, rts: false),
    ])

    /// The strategies tried in turn over the connect attempts (esptool `_construct_reset_strategy_sequence`):
    /// none for `no-reset` or a port without control lines, USB-Serial/JTAG for `usb-reset`, otherwise
    /// unix-tight and classic, each with the short then the long delay.
    public static func strategies(for before: BeforeAction, hasControlLines: Bool) -> [ResetSequence] {
        guard hasControlLines else { return [] }
        switch before {
        case .noReset, .noResetNoSync: return []
        case .usbReset: return [.usbJTAG]
        case .defaultReset:
            return [.unixTight(delay: shortDelay), .unixTight(delay: longDelay), .classic(delay: shortDelay), .classic(delay: longDelay)]
        }
    }

    /// Runs the steps on `transport`.
    public func run(on transport: Transport, sleep: ((Double) -> Void)? = nil) throws(TransportError) {
        for step in steps {
            switch step {
            case .lines(let dtr, let rts): try transport.setControlLines(dtr: dtr, rts: rts)
            case .sleep(let s): if let sleep { sleep(s) } else { Clock.sleep(seconds: s) }
            }
        }
    }
}
