import SerialBootloader

/// What the station reports while it runs, for the dashboard and `--json`. Sent from any task or job thread.
public enum StationEvent: Sendable {
    /// The run begins: the ports, and the units of the pool (nil without `[unit]`).
    case started(ports: [String], units: UnitImport?)
    /// A module left in flight by an earlier run of this station (killed) was recorded as abandoned.
    case recovered(ModuleRecord)
    /// A port appeared (port discovery) and takes modules from now on.
    case portFound(port: String)
    /// A port waits: for a module to be put there, or for the one there to be taken away.
    case waiting(port: String, reason: String)
    /// A module attempt begins at a port (`number` counts attempts of this run, from 1).
    case moduleStarted(port: String, number: Int, attemptID: String)
    /// The module entered a stage; `mac` and `unit` once known.
    case stage(port: String, stage: StationStage, mac: String?, unit: String?)
    /// Flashing progress of the module at the port, 0…1.
    case progress(port: String, fraction: Double)
    /// A job retried a command, or the station retried a stage.
    case retry(port: String, stage: StationStage, reason: String)
    /// Something the operator should know about (a warning when `isWarning`).
    case note(port: String?, message: String, isWarning: Bool)
    /// The module's record is written (in the database when this is sent).
    case recorded(port: String, record: ModuleRecord)
    /// A port stopped taking modules (the budget is used up, Ctrl-C, the pool is empty, the database failed).
    case portStopped(port: String, reason: String)
}

/// Totals of a run, for the last line of the dashboard and the result event.
public struct StationTotals: Sendable, Equatable {
    public var attempts = 0
    public var passed = 0
    public var failed = 0
    public var recovered = 0

    public init() {}

    public mutating func add(_ record: ModuleRecord) {
        attempts += 1
        if record.result == .passed { passed += 1 } else { failed += 1 }
    }
}
