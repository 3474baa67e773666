import Foundation
import GRDB

/// The station's storage in one SQLite file: WAL mode (readers never block the writer; a killed process loses no
/// committed transaction), `synchronous = FULL` (a committed record survives a power cut too), immediate
/// transactions with a 10 s busy timeout (several processes may share the file), versioned migrations.
public final class SQLiteStationStore: StationStore {
    let database: DatabasePool
    public let path: String

    public init(path: String) throws(StoreError) {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        do {
            database = try DatabasePool(path: path, configuration: config)
            let migrator = SQLiteSchema.migrator
            if try database.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError(.schema, "\(path) was written by a newer version of this tool (its schema has migrations this one lacks)")
            }
            try migrator.migrate(database)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "cannot open \(path): \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let db = error as? DatabaseError { return db.message ?? "\(db.resultCode)" }
        return "\(error)"
    }

    private func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await database.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "\(path): \(what): \(Self.describe(error))")
        }
    }

    private func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await database.read(body)
        } catch {
            throw StoreError(.unavailable, "\(path): \(what): \(Self.describe(error))")
        }
    }

    // MARK: - Units

    public func importUnits(_ pool: UnitPool) async throws(StoreError) -> UnitImport {
        try await write("importing units") { db in
            var added = 0
            var updated = 0
            var conflicts: [String] = []
            for (position, unit) in pool.units.enumerated() {
                let fields = JSONCoding.encodeFields(unit.fields)
                if let row = try Row.fetchOne(db, sql: "SELECT fields, mac FROM units WHERE pool = ? AND unit_id = ?", arguments: [pool.name, unit.id]) {
                    let old: String = row["fields"]
                    guard old != fields else { continue }
                    if let mac: String = row["mac"] {
                        conflicts.append("unit '\(unit.id)' (line \(unit.line)) is bound to \(mac) but its values changed")
                        continue
                    }
                    try db.execute(sql: "UPDATE units SET fields = ?, line = ?, position = ? WHERE pool = ? AND unit_id = ?",
                                   arguments: [fields, unit.line, position, pool.name, unit.id])
                    updated += 1
                } else {
                    try db.execute(sql: "INSERT INTO units (pool, unit_id, position, line, fields) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [pool.name, unit.id, position, unit.line, fields])
                    added += 1
                }
            }
            if !conflicts.isEmpty {
                throw StoreError(.conflict, conflicts.prefix(5).joined(separator: "; ") + (conflicts.count > 5 ? " (and \(conflicts.count - 5) more)" : ""))
            }
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM units WHERE pool = ?", arguments: [pool.name]) ?? 0
            let bound = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM units WHERE pool = ? AND mac IS NOT NULL", arguments: [pool.name]) ?? 0
            return UnitImport(added: added, updated: updated, total: total, bound: bound)
        }
    }

    public func allocate(_ request: AllocationRequest) async throws(StoreError) -> Allocation {
        try await write("allocating a unit") { db in
            let columns = "unit_id, line, fields"
            var returning = true
            var row = try Row.fetchOne(db, sql: "SELECT \(columns) FROM units WHERE pool = ? AND mac = ?", arguments: [request.pool, request.mac])
            if row == nil {
                returning = false
                row = try Row.fetchOne(db, sql: "SELECT \(columns) FROM units WHERE pool = ? AND mac IS NULL ORDER BY position LIMIT 1",
                                       arguments: [request.pool])
                guard let free = row else { throw StoreError(.poolExhausted, "no free unit is left in pool '\(request.pool)'") }
                let id: String = free["unit_id"]
                try db.execute(sql: """
                    UPDATE units SET mac = ?, bound_at = ?, bound_station = ?, bound_attempt = ? WHERE pool = ? AND unit_id = ? AND mac IS NULL
                    """, arguments: [request.mac, request.time, request.stationID, request.attemptID, request.pool, id])
                guard db.changesCount == 1 else { throw StoreError(.conflict, "unit '\(id)' was taken meanwhile") }
                try db.execute(sql: "INSERT INTO unit_events (pool, unit_id, mac, event, station_id, attempt_id, at) VALUES (?, ?, ?, 'bound', ?, ?, ?)",
                               arguments: [request.pool, id, request.mac, request.stationID, request.attemptID, request.time])
            }
            let unitRow = row!
            let unit = Unit(id: unitRow["unit_id"], line: unitRow["line"], fields: JSONCoding.decodeFields(unitRow["fields"]))
            try db.execute(sql: "UPDATE in_flight SET pool = ?, unit_id = ?, mac = ? WHERE attempt_id = ?",
                           arguments: [request.pool, unit.id, request.mac, request.attemptID])
            return Allocation(unit: unit, returning: returning)
        }
    }

    public func units(pool: String) async throws(StoreError) -> [UnitState] {
        try await read("reading units") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM units WHERE pool = ? ORDER BY position", arguments: [pool]).map { row in
                UnitState(pool: row["pool"], unit: Unit(id: row["unit_id"], line: row["line"], fields: JSONCoding.decodeFields(row["fields"])),
                          mac: row["mac"], boundAt: row["bound_at"], boundBy: row["bound_station"])
            }
        }
    }

    // MARK: - Modules in flight and records

    public func track(_ attempt: Attempt) async throws(StoreError) {
        try await write("noting a module in flight") { db in
            try db.execute(sql: """
                INSERT INTO in_flight (attempt_id, station_id, operator, recipe_hash, port, started_at, stage, mac, chip, revision, pool, unit_id, stage_times)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(attempt_id) DO UPDATE SET stage = excluded.stage, mac = excluded.mac, chip = excluded.chip,
                    revision = excluded.revision, pool = COALESCE(excluded.pool, in_flight.pool),
                    unit_id = COALESCE(excluded.unit_id, in_flight.unit_id), stage_times = excluded.stage_times
                """, arguments: [attempt.attemptID, attempt.stationID, attempt.operatorName, attempt.recipeHash, attempt.port, attempt.startedAt,
                                 attempt.stage.rawValue, attempt.mac, attempt.chip, attempt.revision, attempt.pool, attempt.unit,
                                 JSONCoding.encode(attempt.stageTimes)])
        }
    }

    public func finish(_ record: ModuleRecord, releaseUnit: Bool) async throws(StoreError) -> ModuleRecord {
        try await write("writing a record") { db in try Self.insert(record, releaseUnit: releaseUnit, db) }
    }

    static func insert(_ record: ModuleRecord, releaseUnit: Bool, _ db: Database) throws -> ModuleRecord {
        var record = record
        if releaseUnit, let pool = record.pool, let unit = record.unit, let mac = record.mac {
            try db.execute(sql: "UPDATE units SET mac = NULL, bound_at = NULL, bound_station = NULL, bound_attempt = NULL WHERE pool = ? AND unit_id = ? AND mac = ?",
                           arguments: [pool, unit, mac])
            if db.changesCount == 1 {
                record.unitReleased = true
                try db.execute(sql: "INSERT INTO unit_events (pool, unit_id, mac, event, station_id, attempt_id, at) VALUES (?, ?, ?, 'released', ?, ?, ?)",
                               arguments: [pool, unit, mac, record.stationID, record.attemptID, record.finishedAt])
            }
        }
        try db.execute(sql: """
            INSERT INTO records (attempt_id, station_id, operator, recipe_hash, port, mac, chip, revision, pool, unit_id, result, stage, reason, error,
                                 started_at, finished_at, stage_times, bytes_sent, retries, unit_released)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [record.attemptID, record.stationID, record.operatorName, record.recipeHash, record.port, record.mac, record.chip,
                             record.revision, record.pool, record.unit, record.result.rawValue, record.stage.rawValue, record.reason, record.error,
                             record.startedAt, record.finishedAt, JSONCoding.encode(record.stageTimes), record.bytesSent, record.retries,
                             record.unitReleased])
        let id = db.lastInsertedRowID
        record.id = id
        for (position, file) in record.files.enumerated() {
            try db.execute(sql: "INSERT INTO record_files (record_id, position, name, address, size, md5, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [id, position, file.name, file.address, file.size, file.md5, file.status])
        }
        try db.execute(sql: "DELETE FROM in_flight WHERE attempt_id = ?", arguments: [record.attemptID])
        return record
    }

    public func recoverAbandoned(stationID: String, at time: Int64, release: @Sendable (ModuleRecord) -> Bool) async throws(StoreError) -> [ModuleRecord] {
        let attempts = try await inFlight(stationID: stationID)
        var records: [ModuleRecord] = []
        for attempt in attempts {
            let record = attempt.abandonedRecord(at: time)
            let releaseUnit = release(record)
            records.append(try await write("recording an abandoned module") { db in
                // Another process may have recorded it meanwhile: only one record per attempt.
                guard try Row.fetchOne(db, sql: "SELECT 1 FROM records WHERE attempt_id = ?", arguments: [record.attemptID]) == nil else {
                    try db.execute(sql: "DELETE FROM in_flight WHERE attempt_id = ?", arguments: [record.attemptID])
                    return record
                }
                return try Self.insert(record, releaseUnit: releaseUnit, db)
            })
        }
        return records
    }

    public func inFlight(stationID: String?) async throws(StoreError) -> [Attempt] {
        try await read("reading modules in flight") { db in
            let rows = if let stationID {
                try Row.fetchAll(db, sql: "SELECT * FROM in_flight WHERE station_id = ? ORDER BY started_at", arguments: [stationID])
            } else {
                try Row.fetchAll(db, sql: "SELECT * FROM in_flight ORDER BY started_at")
            }
            return rows.map { row in
                Attempt(attemptID: row["attempt_id"], stationID: row["station_id"], operatorName: row["operator"], recipeHash: row["recipe_hash"],
                        port: row["port"], startedAt: row["started_at"], stage: StationStage(rawValue: row["stage"]) ?? .open, mac: row["mac"],
                        chip: row["chip"], revision: row["revision"], pool: row["pool"], unit: row["unit_id"],
                        stageTimes: JSONCoding.decode(row["stage_times"]) ?? [])
            }
        }
    }

    public func records(_ query: RecordQuery) async throws(StoreError) -> [ModuleRecord] {
        try await read("reading records") { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let v = query.stationID { conditions.append("station_id = ?"); arguments += [v] }
            if let v = query.mac { conditions.append("mac = ?"); arguments += [v] }
            if let v = query.unit { conditions.append("unit_id = ?"); arguments += [v] }
            if let v = query.result { conditions.append("result = ?"); arguments += [v.rawValue] }
            if let v = query.afterID { conditions.append("id > ?"); arguments += [v] }
            var sql = "SELECT * FROM records"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY id"
            if let limit = query.limit { sql += " LIMIT \(max(0, limit))" }
            var records = try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.record)
            var files: [Int64: [RecordFile]] = [:]
            if let first = records.first?.id, let last = records.last?.id {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM record_files WHERE record_id BETWEEN ? AND ? ORDER BY record_id, position",
                                            arguments: [first, last]) {
                    files[row["record_id"], default: []].append(RecordFile(name: row["name"], address: row["address"], size: row["size"],
                                                                           md5: row["md5"], status: row["status"]))
                }
            }
            for i in records.indices { records[i].files = files[records[i].id!] ?? [] }
            return records
        }
    }

    static func record(_ row: Row) -> ModuleRecord {
        ModuleRecord(id: row["id"], attemptID: row["attempt_id"], stationID: row["station_id"], operatorName: row["operator"],
                     recipeHash: row["recipe_hash"], port: row["port"], mac: row["mac"], chip: row["chip"], revision: row["revision"],
                     pool: row["pool"], unit: row["unit_id"], result: ModuleRecord.Outcome(rawValue: row["result"]) ?? .failed,
                     stage: StationStage(rawValue: row["stage"]) ?? .done, reason: row["reason"], error: row["error"], startedAt: row["started_at"],
                     finishedAt: row["finished_at"], stageTimes: JSONCoding.decode(row["stage_times"]) ?? [], bytesSent: row["bytes_sent"],
                     retries: row["retries"], unitReleased: row["unit_released"])
    }
}

/// The JSON columns: a unit's fields as `[["name","value"],…]` (keeps the column order), stage times as objects.
enum JSONCoding {
    static func encodeFields(_ fields: [Unit.Field]) -> String { encode(fields.map { [$0.name, $0.value] }) }

    static func decodeFields(_ text: String) -> [Unit.Field] {
        (decode(text) as [[String]]?)?.compactMap { $0.count == 2 ? Unit.Field(name: $0[0], value: $0[1]) : nil } ?? []
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static func decode<T: Decodable>(_ text: String) -> T? { try? JSONDecoder().decode(T.self, from: Data(text.utf8)) }
}
