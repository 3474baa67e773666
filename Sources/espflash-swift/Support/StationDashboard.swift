import Station
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Renders a station run: on a terminal, one line per port (state, progress, MAC, unit, last result) and the
/// totals, redrawn in place; with `--json`, NDJSON events; otherwise a line per finished module. Events arrive from
/// every port's task and job thread; one lock orders the output.
final class StationDashboard: Sendable {
    private struct PortLine {
        var state = "starting"
        var progress: Double?
        var mac: String?
        var unit: String?
        var last = ""
    }

    private struct State {
        var ports: [String: PortLine] = [:]
        /// The ports in the order they came: listed ones first, discovered ones as they appear.
        var order: [String] = []
        var totals = StationTotals()
        var drawnLines = 0
        var lastDraw = 0.0
        var started = monotonicSeconds()
        var lastProgressShown: [String: Int] = [:]
    }

    let json: Bool
    let terminal: Bool
    private let header: String
    private let state: Mutex<State>

    init(json: Bool, configuration: StationConfiguration, database: String) {
        self.json = json
        terminal = !json && isatty(1) != 0
        let portNames = configuration.ports.map(\.name)
        header = "station \(configuration.stationID) · operator \(configuration.operatorName) · recipe \(configuration.plan.recipeHash.prefix(12)) · db \(database)"
        var initial = State()
        initial.order = portNames
        state = Mutex(initial)
        if json {
            emit("station_start", [("station_id", .string(configuration.stationID)), ("operator", .string(configuration.operatorName)),
                                   ("recipe_hash", .string(configuration.plan.recipeHash)), ("db", .string(database)),
                                   ("ports", .array(portNames.map(JSONValue.string))), ("modules", configuration.moduleLimit.map { .int($0) } ?? .null)])
        } else {
            Console.out(header + "\n")
        }
    }

    private func emit(_ name: String, _ fields: [(String, JSONValue)]) {
        Console.out(JSONValue.object([("event", .string(name)), ("schema", .int(ProgressReporter.schema))] + fields).rendered(pretty: false) + "\n")
    }

    func handle(_ event: StationEvent) {
        state.withLock { s in
            if json { json(event, &s) } else { text(event, &s) }
        }
    }

    private func json(_ event: StationEvent, _ s: inout State) {
        switch event {
        case .started(let ports, let units):
            emit("started", [("ports", .array(ports.map(JSONValue.string))),
                             ("units", units.map { .object([("total", .int($0.total)), ("bound", .int($0.bound)), ("added", .int($0.added))]) } ?? .null)])
        case .recovered(let record):
            s.totals.recovered += 1
            emit("recovered", [("record", StationRecordRendering.json(record))])
        case .portFound(let port):
            emit("port_found", [("port", .string(port))])
        case .waiting(let port, let reason):
            emit("waiting", [("port", .string(port)), ("reason", .string(reason))])
        case .moduleStarted(let port, let number, let attempt):
            s.lastProgressShown[port] = -1
            emit("module_start", [("port", .string(port)), ("number", .int(number)), ("attempt_id", .string(attempt))])
        case .stage(let port, let stage, let mac, let unit):
            emit("stage", [("port", .string(port)), ("stage", .string(stage.rawValue)), ("mac", .optional(mac)), ("unit", .optional(unit))])
        case .progress(let port, let fraction):
            let step = Int(fraction * 10)
            guard step > s.lastProgressShown[port, default: -1] else { return }
            s.lastProgressShown[port] = step
            emit("progress", [("port", .string(port)), ("percent", .int(Int(fraction * 100)))])
        case .retry(let port, let stage, let reason):
            emit("retry", [("port", .string(port)), ("stage", .string(stage.rawValue)), ("reason", .string(reason))])
        case .note(let port, let message, let isWarning):
            emit("note", [("port", .optional(port)), ("level", .string(isWarning ? "warning" : "info")), ("message", .string(message))])
        case .recorded(_, let record):
            s.totals.add(record)
            emit("record", [("record", StationRecordRendering.json(record))])
        case .portStopped(let port, let reason):
            emit("port_stopped", [("port", .string(port)), ("reason", .string(reason))])
        }
    }

    private func text(_ event: StationEvent, _ s: inout State) {
        var force = false
        switch event {
        case .started(let ports, let units):
            for port in ports { s.ports[port] = PortLine() }
            if let units, !terminal { Console.out("units: \(units.total) in the pool, \(units.bound) bound, \(units.added) new\n") }
        case .recovered(let record):
            s.totals.recovered += 1
            Console.write(2, "note: \(record.port): module \(record.mac ?? "?") was left in flight by the last run; recorded as abandoned at \(record.stage.rawValue)\n")
        case .portFound(let port):
            if !s.order.contains(port) { s.order.append(port) }
            s.ports[port] = PortLine(state: "found", last: s.ports[port]?.last ?? "")
            if !terminal { Console.out("\(port): found\n") }
            force = true
        case .waiting(let port, let reason):
            s.ports[port, default: PortLine()].state = reason
            force = true
        case .moduleStarted(let port, _, _):
            s.ports[port] = PortLine(state: "open", last: s.ports[port]?.last ?? "")
        case .stage(let port, let stage, let mac, let unit):
            s.ports[port, default: PortLine()].state = stage.rawValue
            if let mac { s.ports[port]!.mac = mac }
            if let unit { s.ports[port]!.unit = unit }
        case .progress(let port, let fraction):
            s.ports[port, default: PortLine()].progress = fraction
        case .retry(let port, let stage, let reason):
            if !terminal { Console.write(2, "warning: \(port): \(stage.rawValue): \(reason); retrying\n") }
        case .note(let port, let message, let isWarning):
            if !terminal || isWarning { clear(&s); Console.write(2, (isWarning ? "warning: " : "note: ") + (port.map { "\($0): " } ?? "") + message + "\n") }
        case .recorded(let port, let record):
            s.totals.add(record)
            let seconds = Double(record.finishedAt - record.startedAt) / 1000
            let summary = record.result == .passed ? "passed \(record.unit ?? record.mac ?? "")"
                : "FAILED at \(record.stage.rawValue)" + (record.reason.map { " (\($0))" } ?? "")
            s.ports[port] = PortLine(state: "done", progress: nil, mac: record.mac, unit: record.unit, last: summary)
            force = true
            if !terminal {
                let status = record.result == .passed ? "PASS" : "FAIL"
                Console.out("\(status) \(port) \(record.mac ?? "-") unit \(record.unit ?? "-") \(formatDuration(seconds))"
                            + (record.result == .passed ? "" : " at \(record.stage.rawValue): \(record.error ?? "")") + "\n")
            }
        case .portStopped(let port, let reason):
            s.ports[port, default: PortLine()].state = "stopped"
            if !terminal { Console.out("\(port): stopped (\(reason))\n") }
            force = true
        }
        if terminal { draw(&s, force: force) }
    }

    /// Erases the drawn block so that a message can be printed above it.
    private func clear(_ s: inout State) {
        guard terminal, s.drawnLines > 0 else { return }
        Console.out("\u{1B}[\(s.drawnLines)A\u{1B}[J")
        s.drawnLines = 0
    }

    private func draw(_ s: inout State, force: Bool) {
        let now = monotonicSeconds()
        guard force || now - s.lastDraw >= 0.1 else { return }
        s.lastDraw = now
        var lines = ["PORT".padding(42) + " STATE".padding(26) + "PROGRESS  MAC                UNIT          LAST"]
        for name in s.order {
            let p = s.ports[name] ?? PortLine()
            let progress = p.progress.map { String(Int($0 * 100)) + "%" } ?? ""
            lines.append(String(name.prefix(42)).padding(42) + " " + String(p.state.prefix(24)).padding(25) + progress.leftPadded(to: 8) + "  "
                         + (p.mac ?? "").padding(18) + " " + String((p.unit ?? "").prefix(13)).padding(13) + " " + p.last)
        }
        lines.append(totalsLine(s))
        var out = s.drawnLines > 0 ? "\u{1B}[\(s.drawnLines)A" : ""
        for line in lines { out += "\u{1B}[2K" + line + "\n" }
        Console.out(out)
        s.drawnLines = lines.count
    }

    private func totalsLine(_ s: State) -> String {
        let minutes = max(1e-9, (monotonicSeconds() - s.started) / 60)
        let rate = Double(s.totals.attempts) / minutes
        let yield = s.totals.attempts == 0 ? "-" : StationRecordRendering.percent(Double(s.totals.passed) / Double(s.totals.attempts))
        return "modules \(s.totals.attempts) · passed \(s.totals.passed) · failed \(s.totals.failed) · yield \(yield) · "
            + String(Int(rate * 10) / 10) + "." + String(Int(rate * 10) % 10) + "/min"
    }

    /// The last output: the totals line (text) or the result event (`--json`).
    func finish(totals: StationTotals?, error: String?) {
        state.withLock { s in
            let t = totals ?? s.totals
            if json {
                var fields: [(String, JSONValue)] = [("ok", .bool(error == nil && t.failed == 0 && Interruption.signal == nil)),
                                                     ("attempts", .int(t.attempts)), ("passed", .int(t.passed)), ("failed", .int(t.failed)),
                                                     ("recovered", .int(t.recovered))]
                if let signal = Interruption.signal { fields.append(("interrupted_by", .string(signal == SIGINT ? "SIGINT" : "SIGTERM"))) }
                if let error { fields.append(("error", .string(error))) }
                emit("result", fields)
            } else {
                if terminal { draw(&s, force: true) } else { Console.out(totalsLine(s) + "\n") }
            }
        }
    }
}
