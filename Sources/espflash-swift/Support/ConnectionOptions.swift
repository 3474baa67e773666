import ArgumentParser
import ImageFormats
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// `--chip`: a chip whose ROM loader this tool drives (`Chip.flasherChips`), or `auto` to detect it. `ESP32-C3` and
/// `esp32_c3` are accepted as esptool accepts them.
struct ChipArgument: ExpressibleByArgument {
    /// nil for `auto`.
    let chip: Chip?

    static let auto = ChipArgument(chip: nil)

    private init(chip: Chip?) { self.chip = chip }

    init?(argument: String) {
        if argument.lowercased() == "auto" {
            chip = nil
        } else if let chip = Chip.named(argument), chip.loader != nil {
            self.chip = chip
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ["auto"] + Chip.flasherChips.map(\.rawValue) }

    var defaultValueDescription: String { chip?.rawValue ?? "auto" }
}

extension BeforeAction: ExpressibleByArgument {}
extension AfterAction: ExpressibleByArgument {}

/// Options every device command takes (CLI.md §Device commands and §esptool's command line). They may also stand
/// before the subcommand (`EsptoolCommandLine` moves them here). Values not given come from the environment and
/// esptool.cfg (`EsptoolDefaults`); a missing port is chosen among the ESP-looking serial ports.
struct ConnectionOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Serial device, socket://HOST:PORT, rfc2217://HOST:PORT or virtual://CHIP[?flash=FILE&size=4MB] (env ESPFLASH_PORT, ESPTOOL_PORT); without it the one ESP-looking USB port is used.")
    var port: String?

    @Option(name: [.short, .long], help: "Baud rate after connecting (env ESPFLASH_BAUD, ESPTOOL_BAUD; default 115200; never changed over socket://).")
    var baud: Int?

    @Option(name: [.short, .long], help: "Chip to expect (env ESPTOOL_CHIP); auto detects it.")
    var chip: ChipArgument?

    @Option(help: "Reset before connecting: default-reset, usb-reset, no-reset, no-reset-no-sync (env ESPTOOL_BEFORE).")
    var before: BeforeAction?

    @Option(name: [.customShort("a"), .long], help: "Reset when done: hard-reset, soft-reset, no-reset (env ESPTOOL_AFTER).")
    var after: AfterAction?

    @Option(name: .customLong("connect-attempts"), help: "Reset-and-sync attempts, 0 = keep trying (env ESPTOOL_CONNECT_ATTEMPTS, esptool.cfg connect_attempts; default 7).")
    var connectAttempts: Int?

    @Option(name: .customLong("port-filter"), help: "Narrow the automatic port choice: vid=0x303A, pid=0x1001, name=ttyACM, serial=TEXT (comma-separated or repeated).")
    var portFilter: [String] = []

    @Option(name: [.customLong("sc", withSingleDash: true), .customLong("spi-connection")],
            help: "SPI flash pins: SPI, HSPI (ESP32) or CLK,Q,D,HD,CS GPIO numbers; default: the chip's own (eFuse) pins.")
    var spiConnection: String?

    @Flag(help: "Print every request and reply to the loader on stderr.")
    var trace = false

    @Flag(name: .customLong("no-stub"), help: "Accepted for esptool compatibility: this tool always talks to the ROM loader.")
    var noStub = false

    @Flag(help: "Accepted for esptool compatibility (output is not collapsed anyway).")
    var verbose = false

    @Flag(help: "Print only errors and warnings (and --json output).")
    var silent = false

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

    /// The port as given or from the environment or config file; nil means: choose one.
    var givenPort: String? {
        port ?? EsptoolDefaults.shared.lookup(["ESPFLASH_PORT", "ESPTOOL_PORT"], key: "port")?.text
    }

    func validate() throws {
        if let port {
            do { _ = try PortAddress(parsing: port) } catch { throw ValidationError(error.description) }
        }
        if let baud, baud <= 0 { throw ValidationError("--baud must be positive") }
        do { _ = try PortFilter(parsing: portFilter) } catch { throw ValidationError(error.description) }
        if let spiConnection, Self.spiPins(spiConnection) == nil {
            throw ValidationError("--spi-connection takes SPI, HSPI or five GPIO numbers CLK,Q,D,HD,CS, not '\(spiConnection)'")
        }
        _ = try customReset()
    }

    /// SPI_ATTACH's pin word for `--spi-connection` (esptool `SpiConnectionType`, `attach_flash`).
    static func spiPins(_ text: String) -> UInt32? {
        switch text.uppercased() {
        case "SPI": return 0
        case "HSPI": return 1
        default:
            let pins = text.split(separator: ",").map { Int($0.trimming(" ")) }
            guard pins.count == 5, pins.allSatisfy({ $0 != nil && (0...63).contains($0!) }) else { return nil }
            let (clk, q, d, hd, cs) = (UInt32(pins[0]!), UInt32(pins[1]!), UInt32(pins[2]!), UInt32(pins[3]!), UInt32(pins[4]!))
            return hd << 24 | cs << 18 | d << 12 | q << 6 | clk
        }
    }
}

/// The connection options with the environment's and config file's defaults applied.
struct ResolvedConnection {
    var port: String?
    var baud: Int
    var chip: Chip?
    var before: BeforeAction
    var after: AfterAction
    var connectAttempts: Int
    var openPortAttempts: Int
    var timeouts: CommandTimeouts?
    var writeBlockAttempts: Int?
    var filter: PortFilter
    var spiConnection: UInt32?

    init(_ options: ConnectionOptions, defaults: EsptoolDefaults = .shared) throws {
        port = options.givenPort
        baud = try options.baud ?? defaults.integer(["ESPFLASH_BAUD", "ESPTOOL_BAUD"], key: "baud", "a baud rate") ?? ConnectionOptions.defaultBaud
        guard baud > 0 else { throw CommandFailure.usage("the baud rate must be positive, not \(baud)") }
        if let given = options.chip {
            chip = given.chip
        } else {
            chip = try defaults.choice(["ESPFLASH_CHIP", "ESPTOOL_CHIP"], key: "chip", option: "--chip", parse: { ChipArgument(argument: $0) },
                                       choices: ChipArgument.allValueStrings)?.chip
        }
        before = try options.before ?? defaults.choice(["ESPTOOL_BEFORE"], key: "before", option: "--before", parse: BeforeAction.init(rawValue:),
                                                        choices: BeforeAction.allCases.map(\.rawValue)) ?? .defaultReset
        after = try options.after ?? defaults.choice(["ESPTOOL_AFTER"], key: "after", option: "--after", parse: AfterAction.init(rawValue:),
                                                      choices: AfterAction.allCases.map(\.rawValue)) ?? .hardReset
        connectAttempts = try options.connectAttempts
            ?? defaults.integer(["ESPTOOL_CONNECT_ATTEMPTS"], key: "connect_attempts", "a number of attempts") ?? 7
        openPortAttempts = try defaults.integer(["ESPTOOL_OPEN_PORT_ATTEMPTS"], key: "open_port_attempts", "a number of attempts") ?? 1
        timeouts = try defaults.timeouts()
        writeBlockAttempts = try defaults.integer([], key: "write_block_attempts", "a number of attempts")
        do { filter = try PortFilter(parsing: options.portFilter) } catch { throw CommandFailure.usage(error.description) }
        spiConnection = options.spiConnection.flatMap(ConnectionOptions.spiPins)
        if spiConnection == 1, let chip, chip != .esp32 {
            throw CommandFailure.usage("--spi-connection HSPI exists on the ESP32 only, not the \(chip.displayName)")
        }
        if let note = defaults.unusedKeysNote() { Console.write(2, "note: \(note)\n") }
    }
}
