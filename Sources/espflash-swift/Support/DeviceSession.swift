import ArgumentParser
import ImageFormats
import ChipEmulator
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// An open port with a synced, identified chip whose flash is attached and sized: what every device command
/// starts from. `finish()` applies `--after`, saves a virtual chip's flash and closes the port.
final class DeviceSession {
    let options: ConnectionOptions
    let reporter: ProgressReporter
    let loader: Bootloader
    let mac: [UInt8]
    let flashID: UInt32
    let detectedFlashSize: Int?
    /// What SPI_SET_PARAMS was given.
    let flashSize: Int
    let started = monotonicSeconds()

    /// Tries of the post-connect set-up (attach, flash id, size, MAC) before giving up.
    static let setupAttempts = 5

    /// How `-fs` chooses the size: an explicit size, `detect` (RDID), or `keep` (detected, header untouched).
    enum SizeChoice { case keep, detect, explicit(Int) }

    private init(options: ConnectionOptions, reporter: ProgressReporter, loader: Bootloader, mac: [UInt8], flashID: UInt32,
                 detectedFlashSize: Int?, flashSize: Int) {
        self.options = options
        self.reporter = reporter
        self.loader = loader
        self.mac = mac
        self.flashID = flashID
        self.detectedFlashSize = detectedFlashSize
        self.flashSize = flashSize
    }

    var chip: Chip { loader.chip }
    var macText: String { mac.map { let s = String($0, radix: 16); return s.count == 1 ? "0" + s : s }.joined(separator: ":") }

    static func open(_ options: ConnectionOptions, reporter: ProgressReporter, size: SizeChoice = .keep) throws -> DeviceSession {
        let portText = options.resolvedPort ?? ""
        let address: PortAddress
        do { address = try PortAddress(parsing: portText) } catch { throw CommandFailure.usage(error.description) }
        let transport: any Transport
        let faults = try virtualFaults()
        do throws(TransportError) { transport = try EmulatorPortOpener(faults: faults).open(address, baudRate: ConnectionOptions.defaultBaud) } catch {
            // Transport errors already name the port and what failed.
            throw CommandFailure.io(error.message)
        }
        var before = options.before
        if case .socket = address, before == .defaultReset || before == .usbReset { before = .noReset }  // no lines on raw TCP
        let connection = LoaderConnection(transport: transport, reopen: Self.reopener(for: address))
        do throws(LoaderError) {
            let loader = try Bootloader.connect(connection, options: ConnectOptions(before: before, attempts: options.connectAttempts,
                                                                                     expectedChip: options.chip.chip))
            let baud = options.resolvedBaud
            var id: UInt32 = 0, detected: Int?, flashSize = 0, mac: [UInt8] = []
            // The set-up commands recover like the flashing ones: a lost reply costs a re-sync, not the run.
            for attempt in 1...Self.setupAttempts {
                do throws(LoaderError) {
                    if baud != ConnectionOptions.defaultBaud, baud != connection.transport.baudRate {
                        if !(try loader.changeBaudRate(baud)) && !connection.transport.canChangeBaudRate && attempt == 1 {
                            reporter.note("\(portText) cannot change its baud rate; staying at \(connection.transport.baudRate)")
                        }
                    }
                    try loader.attachFlash()
                    id = try loader.readFlashID()
                    detected = FlashSize.detected(fromJEDEC: id)
                    switch size {
                    case .explicit(let bytes): flashSize = bytes
                    case .keep, .detect: flashSize = detected ?? 4 << 20
                    }
                    try loader.setFlashSize(flashSize)
                    mac = try loader.readMAC()
                    break
                } catch where error.isRecoverable && attempt < Self.setupAttempts {
                    try? loader.reconnect()  // if this fails too, the next attempt's commands say so
                }
            }
            let session = DeviceSession(options: options, reporter: reporter, loader: loader, mac: mac, flashID: id,
                                        detectedFlashSize: detected, flashSize: flashSize)
            reporter.event("connect", [("port", .string(portText)), ("chip", .string(loader.chip.rawValue)),
                                       ("mac", .string(session.macText)), ("flash_id", .string(hexAddress(Int(id)))),
                                       ("flash_size", .int(flashSize)), ("baud", .int(connection.transport.baudRate))])
            reporter.say("Connected to \(loader.chip.displayName) on \(portText), MAC \(session.macText), flash \(FlashSize.name(flashSize))")
            return session
        } catch {
            save(connection.transport)
            connection.close()
            throw CommandFailure(exitCode: ExitStatus.operationFailed, message: "cannot connect on \(portText): \(error.description)",
                                 help: error.kind == .noSync ? "is the chip in download mode (hold BOOT, tap EN)? try --before or --connect-attempts" : nil)
        }
    }

    /// Test hook: `ESPFLASH_VIRTUAL_FAULTS=corrupt-rx=0.01,drop-reply=0.01,seed=3` injects faults into a
    /// `virtual://` chip as `emulate --fault` does for a served one.
    static func virtualFaults() throws -> FaultPlan {
        var plan = FaultPlan()
        guard let text = getenv("ESPFLASH_VIRTUAL_FAULTS").map({ String(cString: $0) }) else { return plan }
        for spec in text.split(separator: ",") {
            if let problem = plan.add(String(spec)) { throw CommandFailure.usage("ESPFLASH_VIRTUAL_FAULTS: \(problem)") }
        }
        return plan
    }

    /// TCP-based ports can be opened again after the server dropped the connection.
    static func reopener(for address: PortAddress) -> (() throws(TransportError) -> any Transport)? {
        switch address {
        case .socket, .rfc2217: return { () throws(TransportError) -> any Transport in try SystemPortOpener().open(address, baudRate: ConnectionOptions.defaultBaud) }
        default: return nil
        }
    }

    func flasher(_ options: FlashOptions = FlashOptions()) -> Flasher {
        Flasher(loader: loader, options: options) { [reporter] in reporter.handle($0) }
    }

    /// Common fields of the final `result` event.
    func resultFields(ok: Bool, retries: Int) -> [(String, JSONValue)] {
        [("ok", .bool(ok)), ("chip", .string(chip.rawValue)), ("mac", .string(macText)),
         ("flash_size", .int(flashSize)), ("bytes_sent", .int(loader.connection.bytesSent)), ("retries", .int(retries)),
         ("milliseconds", .int(Int(((monotonicSeconds() - started) * 1000).rounded())))]
    }

    /// Runs `--after`, saves a virtual chip's flash file, closes the port. A failed reset is only a warning.
    func finish() throws {
        do { try loader.finish(options.after) } catch {
            Console.warning("--after \(options.after.rawValue): \(error.description)")
        }
        Self.save(loader.connection.transport)
        loader.connection.close()
    }

    static func save(_ transport: any Transport) {
        guard let virtual = transport as? InProcessTransport else { return }
        do { try virtual.save() } catch { Console.error(error.message) }
    }

    /// Turns a device error during a command into exit 1, after finishing the session.
    func failure(_ error: LoaderError, _ what: String) -> CommandFailure {
        Self.save(loader.connection.transport)
        loader.connection.close()
        return CommandFailure(exitCode: ExitStatus.operationFailed, message: "\(what): \(error.description)")
    }
}

func formatSecondsValue(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}
