import ArgumentParser
import ImageFormats
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// `--chip`: a chip whose ROM loader this tool drives (`Chip.flasherChips`), or `auto` to detect it.
struct ChipArgument: ExpressibleByArgument {
    /// nil for `auto`.
    let chip: Chip?

    static let auto = ChipArgument(chip: nil)

    private init(chip: Chip?) { self.chip = chip }

    init?(argument: String) {
        if argument == "auto" {
            chip = nil
        } else if let chip = Chip(argument: argument), chip.loader != nil {
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

    static let defaultBaud = 115_200

    var resolvedPort: String? { port ?? environment("ESPFLASH_PORT") }

    var resolvedBaud: Int { baud ?? environment("ESPFLASH_BAUD").flatMap { Int($0) } ?? Self.defaultBaud }

    func validate() throws {
        guard let port = resolvedPort, !port.isEmpty else { throw ValidationError("give the port with --port PORT (or set ESPFLASH_PORT)") }
        do { _ = try PortAddress(parsing: port) } catch { throw ValidationError(error.description) }
        if let text = environment("ESPFLASH_BAUD"), baud == nil, Int(text) == nil { throw ValidationError("ESPFLASH_BAUD must be a number, not '\(text)'") }
        guard resolvedBaud > 0 else { throw ValidationError("--baud must be positive") }
    }

    private func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
