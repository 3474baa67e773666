import ArgumentParser
import ImageFormats
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// `--chip`: a chip of the table (`Chip`), or `auto` to detect it.
struct ChipArgument: ExpressibleByArgument {
    /// nil for `auto`.
    let chip: Chip?

    static let auto = ChipArgument(chip: nil)

    private init(chip: Chip?) { self.chip = chip }

    init?(argument: String) {
        if argument == "auto" {
            chip = nil
        } else if let chip = Chip(argument: argument) {
            self.chip = chip
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["auto"] + Chip.allValueStrings }

    var defaultValueDescription: String { chip?.rawValue ?? "auto" }
}

extension BeforeAction: ExpressibleByArgument {}
extension AfterAction: ExpressibleByArgument {}

/// Options every device command takes (CLI.md §Device commands).
struct ConnectionOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Serial device, socket://HOST:PORT, rfc2217://HOST:PORT or virtual://CHIP[?flash=FILE&size=4MB] (env ESPFLASH_PORT).")
    var port: String?

    @Option(name: [.short, .long], help: "Baud rate after connecting (env ESPFLASH_BAUD; default 115200; never changed over socket://).")
    var baud: Int?

    @Option(name: [.short, .long], help: "Chip to expect; auto detects it.")
    var chip: ChipArgument = .auto

    @Option(help: "Reset before connecting: default-reset, usb-reset, no-reset, no-reset-no-sync.")
    var before: BeforeAction = .defaultReset

    @Option(help: "Reset when done: hard-reset, soft-reset, no-reset.")
    var after: AfterAction = .hardReset

    @Option(name: .customLong("connect-attempts"), help: "Reset-and-sync attempts (0 = keep trying).")
    var connectAttempts = 7

    @Flag(help: "Print NDJSON events on stdout, ending with a {\"event\":\"result\",...} line.")
    var json = false

    @Option(name: .customLong("custom-reset-sequence"),
            help: ArgumentHelp("A reset sequence replacing the built-in ones, in esptool's custom_reset_sequence form (D0|R1|W0.1|D1|R0|W0.05|D0; U1,0 sets both lines at once).",
                               visibility: .hidden))
    var customResetSequence: String?

    @Option(name: .customLong("reset-strategy"),
            help: ArgumentHelp("Use only this built-in reset strategy: unix-tight, unix-tight-long, classic, classic-long, usb-serial-jtag (for checking a board's reset wiring).",
                               visibility: .hidden))
    var resetStrategy: String?

    /// The reset sequence that `--custom-reset-sequence` or `--reset-strategy` names, if any.
    func customReset() throws -> ResetSequence? {
        if let spec = customResetSequence {
            switch ResetSequence.custom(spec) {
            case .success(let sequence): return sequence
            case .failure(let problem): throw ValidationError("--custom-reset-sequence: \(problem)")
            }
        }
        guard let name = resetStrategy else { return nil }
        let builtIn: [String: ResetSequence] = [
            "unix-tight": .unixTight(delay: ResetSequence.shortDelay), "unix-tight-long": .unixTight(delay: ResetSequence.longDelay),
            "classic": .classic(delay: ResetSequence.shortDelay), "classic-long": .classic(delay: ResetSequence.longDelay),
            "usb-serial-jtag": .usbJTAG,
        ]
        guard let sequence = builtIn[name] else {
            throw ValidationError("--reset-strategy takes " + builtIn.keys.sorted().joined(separator: ", "))
        }
        return sequence
    }

    static let defaultBaud = 115_200

    var resolvedPort: String? { port ?? environment("ESPFLASH_PORT") }

    var resolvedBaud: Int { baud ?? environment("ESPFLASH_BAUD").flatMap { Int($0) } ?? Self.defaultBaud }

    func validate() throws {
        guard let port = resolvedPort, !port.isEmpty else { throw ValidationError("give the port with --port PORT (or set ESPFLASH_PORT)") }
        do { _ = try PortAddress(parsing: port) } catch { throw ValidationError(error.description) }
        if let text = environment("ESPFLASH_BAUD"), baud == nil, Int(text) == nil { throw ValidationError("ESPFLASH_BAUD must be a number, not '\(text)'") }
        guard resolvedBaud > 0 else { throw ValidationError("--baud must be positive") }
        _ = try customReset()
    }

    private func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
