import ArgumentParser
import ChipEmulator
import ImageFormats
import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// One device command from parsed arguments to exit: the argument stage (files, checks), the job through the
/// library, and the rendering. Every run that gets here ends with exactly one `result` event with `--json`,
/// failures included; a failure also prints its `error:` line and per-region report on stderr.
struct DeviceCommandRun {
    let command: String
    let options: ConnectionOptions
    let reporter: ProgressReporter
    let started = monotonicSeconds()

    init(_ command: String, _ options: ConnectionOptions) {
        self.command = command
        self.options = options
        reporter = ProgressReporter(json: options.json)
        Interruption.install()
    }

    /// Work before connecting (reading files, checks), or after the job (writing its output, `stage: .finish`).
    /// A failure ends the command with a result line naming the stage.
    @discardableResult
    func arguments<T>(stage: JobStage = .arguments, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            let failure = CommandFailure(error)
            reporter.event("result", [("ok", .bool(false)), ("command", .string(command)), ("stage", .string(stage.rawValue)),
                                      ("error", .string(failure.message)),
                                      ("port", .optional(options.resolvedPort)), ("bytes_sent", .int(0)), ("retries", .int(0)),
                                      ("milliseconds", .int(milliseconds))])
            throw failure
        }
    }

    /// Connects, runs `body`, applies `--after` and releases the port. On success returns the value and the
    /// outcome (the caller renders the result line with `succeed`); on failure renders it and throws.
    func run<Value>(flashSize: FlashSizeChoice = .keep, _ body: (DeviceSession) throws(JobFailure) -> Value) throws -> (Value, JobOutcome<Value>) {
        let request = try arguments { try options.request(flashSize: flashSize) }
        let context = JobContext(cancellation: Interruption.cancellation) { [reporter] in reporter.handle($0) }
        let outcome = DeviceJob.run(request, after: options.after, context: context, body)
        switch outcome.result {
        case .success(let value): return (value, outcome)
        case .failure(let failure): throw fail(failure, outcome)
        }
    }

    /// The `result` line of a successful run, then nothing else.
    func succeed<Value>(_ outcome: JobOutcome<Value>, _ fields: [(String, JSONValue)]) {
        reporter.event("result", [("ok", .bool(true)), ("command", .string(command))] + summary(outcome) + fields)
    }

    private func fail<Value>(_ failure: JobFailure, _ outcome: JobOutcome<Value>) -> CommandFailure {
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
        var fields: [(String, JSONValue)] = [("port", .string(outcome.device?.port ?? options.resolvedPort ?? ""))]
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
    /// The library request for these options: the port parsed, the emulated chips' opener (with the test hook's
    /// faults), the baud rate, reset and chip choices.
    func request(flashSize: FlashSizeChoice) throws -> ConnectRequest {
        let portText = resolvedPort ?? ""
        let address: PortAddress
        do { address = try PortAddress(parsing: portText) } catch { throw CommandFailure.usage(error.description) }
        // A virtual:// option that cannot work is a usage error, found before anything is opened.
        if case .virtual(let virtual) = address {
            do throws(TransportError) { _ = try VirtualChipSpec(virtual) } catch { throw CommandFailure.usage(error.message) }
        }
        var request = ConnectRequest(port: address, opener: EmulatorPortOpener(faults: try Self.virtualFaults()))
        request.baudRate = resolvedBaud
        request.before = before
        request.connectAttempts = connectAttempts
        request.chip = chip.chip
        request.flashSize = flashSize
        return request
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
}
