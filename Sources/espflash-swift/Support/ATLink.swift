import ArgumentParser
import ATCommands
import ChipEmulator
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// Options of the `at` commands: the module's AT UART.
struct ATPortOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "The module's AT UART: serial device, socket://HOST:PORT, rfc2217://HOST:PORT or virtual://CHIP?flash=FILE (env ESPFLASH_PORT).")
    var port: String?

    @Option(name: [.short, .long], help: "Baud rate of the AT UART (the module's factory_param sets it; 115200 by default).")
    var baud = 115_200

    @Flag(help: "Print NDJSON events on stdout, ending with a {\"event\":\"result\",...} line.")
    var json = false

    var resolvedPort: String? { port ?? getenv("ESPFLASH_PORT").map { String(cString: $0) } }

    func validate() throws {
        guard let port = resolvedPort, !port.isEmpty else { throw ValidationError("give the AT port with --port PORT (or set ESPFLASH_PORT)") }
        do { _ = try PortAddress(parsing: port) } catch { throw ValidationError(error.description) }
        guard baud > 0 else { throw ValidationError("--baud must be positive") }
    }
}

/// An open AT UART with its client: the `at` commands' session. `close()` saves a virtual chip's flash.
final class ATLink {
    let options: ATPortOptions
    let reporter: ProgressReporter
    let client: ATClient
    let portText: String

    init(_ options: ATPortOptions, reporter: ProgressReporter) throws {
        self.options = options
        self.reporter = reporter
        portText = options.resolvedPort ?? ""
        let address: PortAddress
        do { address = try PortAddress(parsing: portText) } catch { throw CommandFailure.usage(error.description) }
        if case .virtual(let virtual) = address, virtual.value("line") == nil {
            do throws(TransportError) { _ = try VirtualChipSpec(virtual) } catch { throw CommandFailure.usage(error.message) }
        }
        let transport: any Transport
        let opener = EmulatorPortOpener(faults: try ConnectionOptions.virtualFaults())
        do throws(TransportError) {
            transport = try opener.open(address, baudRate: options.baud, role: .atCommands)
        } catch {
            throw CommandFailure.io(error.message)
        }
        client = ATClient(transport: transport)
        client.onEvent = { [reporter] event in
            switch event {
            case .sent(let line): reporter.event("at_sent", [("line", .string(line))])
            case .unsolicited(let line): reporter.event("at_unsolicited", [("line", .string(line))])
            case .stale(let line): reporter.event("at_stale", [("line", .string(line))])
            case .networkData(let header, let count): reporter.event("at_data", [("header", .string(header)), ("bytes", .int(count))])
            }
        }
        // What the module printed before we came (its boot output, `ready`) is read now, so it never meets a command.
        client.settle(quiet: 0.2, limit: 1)
    }

    /// Sends a request, trying a timed-out or garbled query twice more (a lost reply costs a retry, not the run).
    func send<R: ATRequest>(_ request: R, retries: Int = 2) throws(ATError) -> R.Reply {
        try client.send(request, retries: retries) { [reporter] attempt, error in
            reporter.event("retry", [("attempt", .int(attempt)), ("reason", .string(error.description))])
        }
    }

    /// Saves a virtual chip's flash and closes the port.
    func close() {
        guard !closed else { return }
        closed = true
        if let store = client.transport as? EmulatedFlashStore {
            do { try store.save() } catch { Console.error(error.message) }
        }
        client.transport.close()
    }

    private var closed = false

    /// Saves a virtual chip's flash and closes the port before a command that changed the flash reports success:
    /// a flash file that cannot be saved fails the command (stage finish, exit 1) instead of a silent loss.
    func closeAfterChange() throws {
        guard !closed else { return }
        closed = true
        defer { client.transport.close() }
        guard let store = client.transport as? EmulatedFlashStore else { return }
        do throws(TransportError) { try store.save() } catch {
            reporter.event("result", [("ok", .bool(false)), ("stage", .string("finish")), ("error", .string(error.message))])
            throw CommandFailure(exitCode: ExitStatus.operationFailed, message: error.message)
        }
    }

    /// An AT error as the command's failure (exit 1), after closing; with a hint when nothing answered.
    func failure(_ error: ATError, stage: String) -> CommandFailure {
        var help: String?
        if error.kind == .timeout, client.unsolicited.isEmpty {
            help = "nothing answered at \(options.baud) baud: is \(portText) the module's AT UART, and does its factory_param set another baud rate?"
            if let transport = client.transport as? ATUARTTransport, let reason = transport.module.notRunningReason { help = reason }
        }
        reporter.event("result", [("ok", .bool(false)), ("stage", .string(stage)), ("error", .string(error.description))])
        close()
        return CommandFailure(exitCode: ExitStatus.operationFailed, message: error.description, help: help)
    }
}

extension ATLink {
    /// Runs `body`; AT errors become exit 1 with stage `stage`, refusals exit 2; the port is closed either way.
    func run(stage: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ATError {
            throw failure(error, stage: stage)
        } catch let error as ATRefusal {
            reporter.event("result", [("ok", .bool(false)), ("stage", .string("check")), ("error", .string(error.description))])
            close()
            throw CommandFailure(exitCode: ExitStatus.badInput, message: error.description, help: error.help)
        } catch let error as ATJobError {
            switch error {
            case .refused(let refusal): throw refusalFailure(refusal)
            case .command(let e): throw failure(e, stage: stage)
            case .verifyFailed:
                reporter.event("result", [("ok", .bool(false)), ("stage", .string("verify")), ("error", .string(error.description))])
                close()
                throw CommandFailure(exitCode: ExitStatus.operationFailed, message: error.description)
            }
        } catch {
            close()
            throw error
        }
    }

    func refusalFailure(_ refusal: ATRefusal) -> CommandFailure {
        reporter.event("result", [("ok", .bool(false)), ("stage", .string("check")), ("error", .string(refusal.description))])
        close()
        return CommandFailure(exitCode: ExitStatus.badInput, message: refusal.description, help: refusal.help)
    }
}
