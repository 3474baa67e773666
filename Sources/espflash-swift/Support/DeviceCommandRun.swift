import ArgumentParser
import ChipEmulator
import ImageFormats
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// One device command from parsed arguments to exit: the argument stage (defaults, files, checks), the port (given,
/// or chosen), the job through the library, and the rendering. Every run that gets here ends with exactly one
/// `result` event with `--json`, failures included; a failure also prints its `error:` line and per-region report
/// on stderr.
final class DeviceCommandRun {
    let command: String
    let options: ConnectionOptions
    let reporter: ProgressReporter
    let started = monotonicSeconds()
    /// The options with the environment's and esptool.cfg's defaults; nil until `settings()` succeeded.
    private(set) var resolved: ResolvedConnection?
    /// The port the run uses once known (given or chosen).
    private(set) var portText: String?

    init(_ command: String, _ options: ConnectionOptions) {
        self.command = command
        self.options = options
        reporter = ProgressReporter(json: options.json, silent: options.silent)
        Interruption.install()
        portText = options.port
    }

    /// The connection settings with their defaults; failures are argument-stage failures.
    @discardableResult
    func settings() throws -> ResolvedConnection {
        if let resolved { return resolved }
        let value = try arguments { try ResolvedConnection(options) }
        resolved = value
        portText = value.port
        return value
    }

    /// Work before connecting (reading files, checks), or after the job (writing its output, `stage: .finish`).
    /// A failure ends the command with a result line naming the stage.
    @discardableResult
    func arguments<T>(stage: JobStage = .arguments, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            let failure = CommandFailure(error)
            var fields: [(String, JSONValue)] = [("ok", .bool(false)), ("command", .string(command)), ("stage", .string(stage.rawValue))]
            if stage == .open { fields.append(("reason", .string(JobFailure.Reason.portUnavailable.rawValue))) }
            fields += [("error", .string(failure.message)), ("port", .optional(portText)), ("bytes_sent", .int(0)), ("retries", .int(0)),
                       ("milliseconds", .int(milliseconds))]
            reporter.event("result", fields)
            throw failure
        }
    }

    /// Connects, runs `body`, applies `--after` (or `after` when the command decides, as load-ram does) and releases
    /// the port. On success returns the value and the outcome (the caller renders the result line with `succeed`);
    /// on failure renders it and throws.
    func run<Value>(flashSize: FlashSizeChoice = .keep, after: AfterAction? = nil, onFailure: ((JobFailure) -> Void)? = nil,
                    _ body: (DeviceSession) throws(JobFailure) -> Value) throws -> (Value, JobOutcome<Value>) {
        let settings = try settings()
        let request = try self.request(settings, flashSize: flashSize)
        let context = JobContext(cancellation: Interruption.cancellation) { [reporter] in reporter.handle($0) }
        let outcome = DeviceJob.run(request, after: after ?? settings.after, context: context, body)
        switch outcome.result {
        case .success(let value): return (value, outcome)
        case .failure(let failure):
            onFailure?(failure)
            throw fail(failure, outcome)
        }
    }

    /// The library request: the port (chosen when none was given), the emulated chips' opener (with the test hook's
    /// faults, and esptool's open attempts), baud rate, reset and chip choices, timeouts and `--trace`.
    private func request(_ settings: ResolvedConnection, flashSize: FlashSizeChoice) throws -> ConnectRequest {
        let portText = try arguments(stage: .open) { try settings.port ?? PortSelection.choose(filter: settings.filter) }
        self.portText = portText
        return try arguments {
            let address: PortAddress
            do throws(PortAddress.ParseError) { address = try PortAddress(parsing: portText) } catch { throw CommandFailure.usage(error.description) }
            // A virtual:// option that cannot work (a size beyond the largest flash …) is a usage error, found before
            // anything is opened.
            if case .virtual(let virtual) = address, virtual.value("line") == nil {
                do throws(TransportError) { _ = try VirtualChipSpec(virtual) } catch { throw CommandFailure.usage(error.message) }
            }
            let opener = EmulatorPortOpener(faults: try ConnectionOptions.virtualFaults())
            var request = ConnectRequest(port: address, opener: settings.openPortAttempts == 1 ? opener : RetryingPortOpener(opener, attempts: settings.openPortAttempts))
            request.baudRate = settings.baud
            request.before = settings.before
            request.connectAttempts = settings.connectAttempts
            request.chip = settings.chip
            request.flashSize = flashSize
            request.spiConnection = settings.spiConnection
            request.customReset = try options.customReset()
            if case .virtual = address {} else { request.timeouts = settings.timeouts }
            if options.trace { request.trace = { line in Console.write(2, "trace: \(line)\n") } }
            return request
        }
    }

    /// The `result` line of a successful run, then nothing else.
    func succeed<Value>(_ outcome: JobOutcome<Value>, _ fields: [(String, JSONValue)]) {
        reporter.event("result", [("ok", .bool(true)), ("command", .string(command))] + summary(outcome) + fields)
    }

    /// The files a writing command was given: a failure before its job began (opening the port, connecting)
    /// still reports each of them, as not written.
    var pendingRegions: [RegionOutcome] = []

    private func fail<Value>(_ failure: JobFailure, _ outcome: JobOutcome<Value>) -> CommandFailure {
        var failure = failure
        if failure.regions.isEmpty, failure.stage == .open || failure.stage == .connect { failure.regions = pendingRegions }
        var fields: [(String, JSONValue)] = [("ok", .bool(false)), ("command", .string(command)), ("stage", .string(failure.stage.rawValue)),
                                              ("reason", .string(failure.reason.rawValue)), ("error", .string(failure.message))]
        fields += summary(outcome)
        if !failure.regions.isEmpty { fields.append(("regions", .array(failure.regions.map(\.json)))) }
        reporter.event("result", fields)
        var message = "\(command) failed at \(failure.stage.rawValue): \(failure.message)"
        if failure.reason == .cancelled {
            let by = Interruption.signal.map { $0 == SIGINT ? " by Ctrl-C (SIGINT)" : $0 == SIGTERM ? " by SIGTERM" : " by signal \($0)" } ?? ""
            message = "\(command) interrupted\(by) during \(failure.stage.rawValue)"
        }
        if !failure.regions.isEmpty, failure.stage != .arguments {
            message += "\n" + failure.regions.map(\.reportLine).joined(separator: "\n")
        }
        return CommandFailure(exitCode: failure.exitCode, message: message, help: failure.help)
    }

    private func summary<Value>(_ outcome: JobOutcome<Value>) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("port", .string(outcome.device?.port ?? portText ?? ""))]
        if let device = outcome.device { fields += ProgressReporter.deviceFields(device).dropFirst() }
        return fields + [("bytes_sent", .int(outcome.bytesSent)), ("retries", .int(outcome.retries)),
                         ("milliseconds", .int(Int((outcome.seconds * 1000).rounded())))]
    }

    private var milliseconds: Int { Int(((monotonicSeconds() - started) * 1000).rounded()) }
}

extension CommandFailure {
    /// Any error of the argument stage as the command reports it.
    init(_ error: any Error) {
        switch error {
        case let failure as CommandFailure: self = failure
        case let failure as FormatError: self.init(exitCode: ExitStatus.badInput, message: failure.message, help: failure.help)
        case let failure as JobFailure: self.init(exitCode: failure.exitCode, message: failure.message, help: failure.help)
        case let failure as ValidationError: self = .usage(failure.message)
        default: self.init(exitCode: ExitStatus.operationFailed, message: "\(error)")
        }
    }
}

extension ConnectionOptions {
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
}
