/// The stages of one module at the station, in order. A record names the stage it reached: the one it failed in,
/// or `done` when it passed. The device stages are the jobs' (`JobStage`), the others the station's own.
public enum StationStage: String, Sendable, Hashable, CaseIterable, Codable {
    /// Opening the port.
    case open
    /// Reset, sync, chip set-up, MAC.
    case connect
    /// The chip guard: the recipe's chip and minimum revision, every image's chip and revision.
    case check
    /// Binding a unit to the module's MAC.
    case allocate
    /// The module's images built in memory.
    case build
    case erase
    case write
    case verify
    /// The hard reset that starts the flashed firmware.
    case reset
    /// The tests after flashing (the AT test).
    case test
    /// Writing the record (only a record that could not be written says so, in the station's output).
    case record
    /// Passed every stage.
    case done

    /// Position in the order above.
    public var order: Int { Self.allCases.firstIndex(of: self)! }

    /// The stages a module passes through, in order, for yield reports.
    public static let pipeline: [StationStage] = [.open, .connect, .check, .allocate, .build, .erase, .write, .verify, .reset, .test]
}

/// One attempt at one module: what it got, how far it came, how long each stage took. Written once, when the attempt
/// ends (passed, failed, or abandoned by Ctrl-C or a station that stopped).
public struct ModuleRecord: Sendable, Equatable {
    public enum Outcome: String, Sendable, Codable { case passed, failed }

    /// Assigned by the store (nil before it is written).
    public var id: Int64?
    /// Unique per attempt (the station makes it before the module starts).
    public var attemptID: String
    public var stationID: String
    public var operatorName: String
    public var recipeHash: String
    public var port: String
    /// `24:0a:c4:…`; nil when the module was not read that far.
    public var mac: String?
    public var chip: String?
    /// `v3.0`; nil when not read.
    public var revision: String?
    public var pool: String?
    /// The unit bound to the module; nil when none was allocated.
    public var unit: String?
    public var result: Outcome
    public var stage: StationStage
    /// The typed reason of a failure (`JobFailure.Reason` raw values, `test_failed`, `pool_exhausted`, …).
    public var reason: String?
    public var error: String?
    /// Unix time in milliseconds.
    public var startedAt: Int64
    public var finishedAt: Int64
    /// Milliseconds spent in each stage the module went through, in order.
    public var stageTimes: [StageTime]
    public var bytesSent: Int
    public var retries: Int
    public var files: [RecordFile]
    /// The unit went back to the pool after this attempt (the recipe's release policy).
    public var unitReleased: Bool

    public init(id: Int64? = nil, attemptID: String, stationID: String, operatorName: String, recipeHash: String, port: String,
                mac: String? = nil, chip: String? = nil, revision: String? = nil, pool: String? = nil, unit: String? = nil,
                result: Outcome, stage: StationStage, reason: String? = nil, error: String? = nil, startedAt: Int64, finishedAt: Int64,
                stageTimes: [StageTime] = [], bytesSent: Int = 0, retries: Int = 0, files: [RecordFile] = [], unitReleased: Bool = false) {
        self.id = id
        self.attemptID = attemptID
        self.stationID = stationID
        self.operatorName = operatorName
        self.recipeHash = recipeHash
        self.port = port
        self.mac = mac
        self.chip = chip
        self.revision = revision
        self.pool = pool
        self.unit = unit
        self.result = result
        self.stage = stage
        self.reason = reason
        self.error = error
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.stageTimes = stageTimes
        self.bytesSent = bytesSent
        self.retries = retries
        self.files = files
        self.unitReleased = unitReleased
    }
}

public struct StageTime: Sendable, Equatable, Codable {
    public var stage: StationStage
    public var milliseconds: Int

    public init(stage: StationStage, milliseconds: Int) {
        self.stage = stage
        self.milliseconds = milliseconds
    }
}

/// A file a module got: as given (name, address, size, MD5) and what happened to it.
public struct RecordFile: Sendable, Equatable, Codable {
    public var name: String
    public var address: Int
    public var size: Int
    public var md5: String
    /// `verified`, `skipped` (already in flash), `written`, `differs`, `failed`, `pending` (not written).
    public var status: String

    public init(name: String, address: Int, size: Int, md5: String, status: String) {
        self.name = name
        self.address = address
        self.size = size
        self.md5 = md5
        self.status = status
    }
}
