/// Where a station keeps its units, allocations, modules in flight and records: SQLite (`SQLiteStationStore`) on
/// one computer, PostgreSQL for a line of stations. Every method is one transaction; an implementation must keep
/// these promises, which the station's crash safety rests on:
/// - `allocate` binds a unit to a MAC atomically: the MAC's own unit if it has one, else the first free unit of the
///   pool in values-file order; a unit is never bound to two MACs, nor a MAC to two units (per pool).
/// - `finish` writes the record and its files, drops the attempt from the modules in flight and, when asked,
///   releases the unit, all at once: after a crash either all of it is there or none.
/// - `recoverAbandoned` turns a station's leftover modules in flight (it was killed) into failed records.
public protocol StationStore: Sendable {
    /// Adds the pool's units that are new, updates the values of free ones; a bound unit whose values changed is
    /// a conflict (its module carries the old values).
    func importUnits(_ pool: UnitPool) async throws(StoreError) -> UnitImport
    /// Starts or updates a module in flight (one row per attempt).
    func track(_ attempt: Attempt) async throws(StoreError)
    /// Binds a unit to `request.mac` (see above) and notes it on the attempt in flight.
    func allocate(_ request: AllocationRequest) async throws(StoreError) -> Allocation
    /// Writes the record (assigning its id), removes its attempt from the modules in flight, and releases its unit
    /// from its MAC when `releaseUnit` (the record then says `unitReleased`).
    func finish(_ record: ModuleRecord, releaseUnit: Bool) async throws(StoreError) -> ModuleRecord
    /// Every module still in flight for `stationID` (left by a station that was killed) becomes a failed record at
    /// the stage it had reached; `release` says, per record, whether its unit goes back to the pool.
    func recoverAbandoned(stationID: String, at time: Int64, release: @Sendable (ModuleRecord) -> Bool) async throws(StoreError) -> [ModuleRecord]
    /// Records in id order.
    func records(_ query: RecordQuery) async throws(StoreError) -> [ModuleRecord]
    /// A pool's units and their bindings, in values-file order.
    func units(pool: String) async throws(StoreError) -> [UnitState]
    /// Modules in flight, of one station or all.
    func inFlight(stationID: String?) async throws(StoreError) -> [Attempt]
}

public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// No free unit is left in the pool.
        case poolExhausted = "pool_exhausted"
        /// A bound unit's values differ from the values file.
        case conflict
        /// The database cannot be opened, read or written.
        case unavailable
        /// The database is of a newer schema than this tool knows, or damaged.
        case schema
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

public struct UnitImport: Sendable, Equatable {
    public var added: Int
    public var updated: Int
    public var total: Int
    /// Units bound to a module now (all pools' stations).
    public var bound: Int

    public init(added: Int, updated: Int, total: Int, bound: Int) {
        self.added = added
        self.updated = updated
        self.total = total
        self.bound = bound
    }
}

/// A module in flight: what is known of it so far.
public struct Attempt: Sendable, Equatable {
    public var attemptID: String
    public var stationID: String
    public var operatorName: String
    public var recipeHash: String
    public var port: String
    public var startedAt: Int64
    public var stage: StationStage
    public var mac: String?
    public var chip: String?
    public var revision: String?
    public var pool: String?
    public var unit: String?
    public var stageTimes: [StageTime]

    public init(attemptID: String, stationID: String, operatorName: String, recipeHash: String, port: String, startedAt: Int64,
                stage: StationStage = .open, mac: String? = nil, chip: String? = nil, revision: String? = nil, pool: String? = nil,
                unit: String? = nil, stageTimes: [StageTime] = []) {
        self.attemptID = attemptID
        self.stationID = stationID
        self.operatorName = operatorName
        self.recipeHash = recipeHash
        self.port = port
        self.startedAt = startedAt
        self.stage = stage
        self.mac = mac
        self.chip = chip
        self.revision = revision
        self.pool = pool
        self.unit = unit
        self.stageTimes = stageTimes
    }

    /// The record of an attempt that ended without one (the station stopped): failed where it was.
    public func abandonedRecord(at time: Int64) -> ModuleRecord {
        ModuleRecord(attemptID: attemptID, stationID: stationID, operatorName: operatorName, recipeHash: recipeHash, port: port,
                     mac: mac, chip: chip, revision: revision, pool: pool, unit: unit, result: .failed, stage: stage, reason: "abandoned",
                     error: "the station stopped while this module was at stage \(stage.rawValue) (no record was written then)",
                     startedAt: startedAt, finishedAt: time, stageTimes: stageTimes)
    }
}

public struct AllocationRequest: Sendable, Equatable {
    public var pool: String
    public var mac: String
    public var stationID: String
    public var attemptID: String
    public var time: Int64

    public init(pool: String, mac: String, stationID: String, attemptID: String, time: Int64) {
        self.pool = pool
        self.mac = mac
        self.stationID = stationID
        self.attemptID = attemptID
        self.time = time
    }
}

public struct Allocation: Sendable, Equatable {
    public var unit: Unit
    /// The MAC had this unit already (the module was flashed before).
    public var returning: Bool

    public init(unit: Unit, returning: Bool) {
        self.unit = unit
        self.returning = returning
    }
}

/// A unit of a pool and the MAC it is bound to (nil: free).
public struct UnitState: Sendable, Equatable {
    public var pool: String
    public var unit: Unit
    public var mac: String?
    public var boundAt: Int64?
    public var boundBy: String?

    public init(pool: String, unit: Unit, mac: String?, boundAt: Int64?, boundBy: String?) {
        self.pool = pool
        self.unit = unit
        self.mac = mac
        self.boundAt = boundAt
        self.boundBy = boundBy
    }
}

/// Which records `StationStore.records` returns (every condition given must hold).
public struct RecordQuery: Sendable, Equatable {
    public var stationID: String?
    public var mac: String?
    public var unit: String?
    public var result: ModuleRecord.Outcome?
    /// Only records with a larger id (to follow new records).
    public var afterID: Int64?
    public var limit: Int?

    public init(stationID: String? = nil, mac: String? = nil, unit: String? = nil, result: ModuleRecord.Outcome? = nil,
                afterID: Int64? = nil, limit: Int? = nil) {
        self.stationID = stationID
        self.mac = mac
        self.unit = unit
        self.result = result
        self.afterID = afterID
        self.limit = limit
    }
}
