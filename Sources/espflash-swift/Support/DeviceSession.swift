import ArgumentParser
import SerialBootloader

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

    var chip: TargetChip { loader.chip }
    var macText: String { mac.map { let s = String($0, radix: 16); return s.count == 1 ? "0" + s : s }.joined(separator: ":") }

    static func open(_ options: ConnectionOptions, reporter: ProgressReporter, size: SizeChoice = .keep) throws -> DeviceSession {
        let portText = options.resolvedPort ?? ""
        let address: PortAddress
        do { address = try PortAddress(parsing: portText) } catch { throw CommandFailure.usage(error.description) }
        let transport: any Transport
        do { transport = try address.open(baudRate: ConnectionOptions.defaultBaud) } catch {
            throw CommandFailure.io("cannot open \(portText): \(error.message)")
        }
        var before = options.before
        if case .socket = address, before == .defaultReset || before == .usbReset { before = .noReset }  // no lines on raw TCP
        let connection = LoaderConnection(transport: transport, reopen: Self.reopener(for: address))
        do throws(LoaderError) {
            let loader = try Bootloader.connect(connection, options: ConnectOptions(before: before, attempts: options.connectAttempts,
                                                                                     expectedChip: options.chip.family))
            let baud = options.resolvedBaud
            if baud != ConnectionOptions.defaultBaud {
                if !(try loader.changeBaudRate(baud)) && !connection.transport.canChangeBaudRate {
                    reporter.note("\(portText) cannot change its baud rate; staying at \(connection.transport.baudRate)")
                }
            }
            try loader.attachFlash()
            let id = try loader.readFlashID()
            let detected = FlashSize.detected(fromJEDEC: id)
            let flashSize: Int
            switch size {
            case .explicit(let bytes): flashSize = bytes
            case .keep, .detect: flashSize = detected ?? 4 << 20
            }
            try loader.setFlashSize(flashSize)
            let mac = try loader.readMAC()
            let session = DeviceSession(options: options, reporter: reporter, loader: loader, mac: mac, flashID: id,
                                        detectedFlashSize: detected, flashSize: flashSize)
            reporter.event("connect", [("port", .string(portText)), ("chip", .string(loader.chip.family.rawValue)),
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

    /// TCP-based ports can be opened again after the server dropped the connection.
    static func reopener(for address: PortAddress) -> (() throws(TransportError) -> any Transport)? {
        switch address {
        case .socket, .rfc2217: return { () throws(TransportError) -> any Transport in try address.open(baudRate: ConnectionOptions.defaultBaud) }
        default: return nil
        }
    }

    func flasher(_ options: FlashOptions = FlashOptions()) -> Flasher {
        Flasher(loader: loader, options: options) { [reporter] in reporter.handle($0) }
    }

    /// Common fields of the final `result` event.
    func resultFields(ok: Bool, retries: Int) -> [(String, JSONValue)] {
        [("ok", .bool(ok)), ("chip", .string(chip.family.rawValue)), ("mac", .string(macText)),
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
