/// What one port of one station is doing, as the station publishes it for the line's dashboard (`port_state`). Not
/// a record: a station writes it when it can and the newest one replaces the last.
public struct PortState: Sendable, Equatable {
    public enum Activity: String, Sendable, CaseIterable {
        /// The station is starting (recovering abandoned modules, importing units).
        case starting
        /// Waiting for a module to be put at the port, or taken away.
        case waiting
        /// A module is at the port, going through the stages.
        case running
        /// The database cannot be reached: the port's work stopped at a safe point; the station retries.
        case databaseUnavailable = "database_unavailable"
        /// The port takes no more modules (the run ended, Ctrl-C, the pool is empty).
        case stopped
    }

    public var stationID: String
    public var port: String
    public var activity: Activity
    /// The module's stage while running.
    public var stage: StationStage?
    /// Flashing progress 0…1 while writing.
    public var progress: Double?
    public var mac: String?
    public var unit: String?
    public var attemptID: String?
    /// Why the port waits or stopped.
    public var message: String?
    /// The last module's result at this port, and its error when it failed.
    public var lastResult: ModuleRecord.Outcome?
    public var lastError: String?
    /// Modules passed and failed at this port in the station's current run.
    public var passed: Int
    public var failed: Int
    /// When the station last wrote this state (Unix ms); a station writes at least every few seconds while it runs.
    public var updatedAt: Int64
    /// Grows with every change of any port (assigned by the store; 0 before).
    public var sequence: Int64

    public init(stationID: String, port: String, activity: Activity, stage: StationStage? = nil, progress: Double? = nil, mac: String? = nil,
                unit: String? = nil, attemptID: String? = nil, message: String? = nil, lastResult: ModuleRecord.Outcome? = nil,
                lastError: String? = nil, passed: Int = 0, failed: Int = 0, updatedAt: Int64, sequence: Int64 = 0) {
        self.stationID = stationID
        self.port = port
        self.activity = activity
        self.stage = stage
        self.progress = progress
        self.mac = mac
        self.unit = unit
        self.attemptID = attemptID
        self.message = message
        self.lastResult = lastResult
        self.lastError = lastError
        self.passed = passed
        self.failed = failed
        self.updatedAt = updatedAt
        self.sequence = sequence
    }

    /// The state without its bookkeeping (what a change of it is about).
    public func sameContent(as other: PortState) -> Bool {
        var a = self
        var b = other
        (a.updatedAt, a.sequence, b.updatedAt, b.sequence) = (0, 0, 0, 0)
        return a == b
    }
}
