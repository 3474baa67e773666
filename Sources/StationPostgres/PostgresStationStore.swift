import Logging
import PostgresNIO
import Station

/// The station's storage in PostgreSQL, shared by the stations of a line: the same tables and promises as
/// `SQLiteStationStore` (see `StationStore`), with allocation by row locks (`FOR UPDATE SKIP LOCKED`: stations never
/// wait for each other's candidate unit, and never get the same one), record ids in commit order (an advisory lock
/// around the insert), and LISTEN/NOTIFY on the channel `espflash_station` for the dashboard.
public final class PostgresStationStore: StationStore {
    public let location: String
    let server: PostgresLocation
    let connections: PostgresConnections
    var logger: Logger { quietLogger }

    /// The NOTIFY channel: payload `record` after a record is written, `port` after a port state changed.
    static let channel = "espflash_station"
    /// Advisory lock keys: migrations, unit imports, record inserts (ids in commit order).
    static let migrationLock: Int64 = 0x6573_7066_0001
    static let importLock: Int64 = 0x6573_7066_0002
    static let recordLock: Int64 = 0x6573_7066_0003
    /// The most one transaction may take (see `transaction`).
    let transactionDeadline: Double = 20

    /// Connects (the server must answer), creates or migrates the schema, and refuses a newer one.
    public init(url: String, environment: [String: String] = [:], maximumConnections: Int = 8) async throws(StoreError) {
        server = try PostgresLocation(url: url, environment: environment)
        location = server.location
        connections = try PostgresConnections(server, maximum: maximumConnections)
        try await migrate()
    }

    /// Closes the idle connections (the store is not used after this).
    public func close() async {
        await connections.closeAll()
    }

    // MARK: - Transactions

    /// Runs `body` in one transaction, again when PostgreSQL says a concurrent transaction got in the way. A
    /// transaction that has not ended after `transactionDeadline` seconds (the server's statement and lock timeouts
    /// are shorter) fails as `unavailable` and its connection is closed: a connection that a server restart left
    /// half-dead must not hold a port, or the dashboard, for ever.
    func transaction<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        var attempt = 0
        while true {
            let connection: PostgresConnection
            do { connection = try await connections.lease() } catch {
                throw PostgresProblem(error, what: what, location: location).error
            }
            let (logger, connections, location) = (self.logger, self.connections, self.location)
            // The connection goes back when the transaction ends, also after the deadline has passed.
            let outcome = await PostgresConnections.raced(transactionDeadline, onTimeout: { PostgresConnections.close(connection) }) {
                do {
                    let value = try await connection.withTransaction(logger: logger) { c in try await body(c) }
                    connections.release(connection, broken: false)
                    return Result<T, PostgresProblem>.success(value)
                } catch {
                    let problem = PostgresProblem(error, what: what, location: location)
                    connections.release(connection, broken: problem.broken)
                    return .failure(problem)
                }
            }
            switch outcome {
            case .success(let value)?:
                return value
            case .failure(let problem)?:
                guard problem.retry, attempt < 8 else { throw problem.error }
                attempt += 1
                try? await Task.sleep(nanoseconds: UInt64(attempt) * 5_000_000)
            case nil:
                throw StoreError(.unavailable, "\(location): \(what): no answer from the server within \(Int(transactionDeadline)) s")
            }
        }
    }

    /// One read, its rows made into values.
    func rows<T: Sendable>(_ what: String, _ query: PostgresQuery,
                           _ transform: @escaping @Sendable (PostgresRandomAccessRow) throws -> T) async throws(StoreError) -> [T] {
        try await transaction(what) { c in try await c.rows(query).map(transform) }
    }

    // MARK: - Schema

    private func migrate() async throws(StoreError) {
        let location = self.location
        try await transaction("creating or migrating the schema") { c in
            try await c.run("SELECT pg_advisory_xact_lock(\(Self.migrationLock))")
            try await c.run("""
                CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, summary TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """)
            let applied = Set(try await c.rows("SELECT version FROM schema_migrations").map { try $0["version"].decode(Int.self) })
            if let newer = applied.first(where: { $0 > StationSchema.latestVersion }) {
                throw StoreError(.schema, "\(location) has schema version \(newer), newer than this tool's \(StationSchema.latestVersion): a newer espflash-swift wrote it")
            }
            for migration in StationSchema.migrations where !applied.contains(migration.version) {
                for statement in migration.postgres {
                    try await c.run(PostgresQuery(unsafeSQL: statement))
                }
                try await c.run("""
                    INSERT INTO schema_migrations (version, summary, applied_at) VALUES (\(migration.version), \(migration.summary), \(unixMilliseconds()))
                    """)
            }
        }
    }

    public func schemaVersion() async throws(StoreError) -> Int {
        try await rows("reading the schema version", "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations") { try $0.int("v") }.first ?? 0
    }

    public func ping() async throws(StoreError) {
        _ = try await rows("reaching the database", "SELECT 1 AS one") { _ in () }
    }

    // MARK: - Units

    public func importUnits(_ pool: UnitPool) async throws(StoreError) -> UnitImport {
        try await transaction("importing units") { c in
            try await c.run("SELECT pg_advisory_xact_lock(\(Self.importLock))")
            var existing: [String: (fields: String, mac: String?)] = [:]
            for row in try await c.rows("SELECT unit_id, fields, mac FROM units WHERE pool = \(pool.name)") {
                existing[try row.string("unit_id")] = (try row.string("fields"), try row.optionalString("mac"))
            }
            var conflicts: [String] = []
            var new: (ids: [String], positions: [Int], lines: [Int], fields: [String]) = ([], [], [], [])
            var updated = 0
            for (position, unit) in pool.units.enumerated() {
                let fields = JSONCoding.encodeFields(unit.fields)
                guard let old = existing[unit.id] else {
                    new.ids.append(unit.id); new.positions.append(position); new.lines.append(unit.line); new.fields.append(fields)
                    continue
                }
                guard old.fields != fields else { continue }
                if let mac = old.mac {
                    conflicts.append("unit '\(unit.id)' (line \(unit.line)) is bound to \(mac) but its values changed")
                    continue
                }
                try await c.run("""
                    UPDATE units SET fields = \(fields), line = \(unit.line), position = \(position) WHERE pool = \(pool.name) AND unit_id = \(unit.id)
                    """)
                updated += 1
            }
            if !conflicts.isEmpty {
                throw StoreError(.conflict, conflicts.prefix(5).joined(separator: "; ") + (conflicts.count > 5 ? " (and \(conflicts.count - 5) more)" : ""))
            }
            if !new.ids.isEmpty {
                try await c.run("""
                    INSERT INTO units (pool, unit_id, position, line, fields)
                    SELECT \(pool.name), * FROM unnest(\(new.ids)::text[], \(new.positions)::int[], \(new.lines)::int[], \(new.fields)::text[])
                    """)
            }
            let counts = try await c.rows("SELECT COUNT(*) AS total, COUNT(mac) AS bound FROM units WHERE pool = \(pool.name)")
            return UnitImport(added: new.ids.count, updated: updated, total: try counts[0].int("total"), bound: try counts[0].int("bound"))
        }
    }

    public func allocate(_ request: AllocationRequest) async throws(StoreError) -> Allocation {
        while true {
            let outcome: Allocation? = try await transaction("allocating a unit") { c in try await Self.allocate(request, c) }
            if let outcome { return outcome }
            // Free units exist but all are held by transactions still running: one may roll back.
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// The MAC's unit, else the first free unit no other transaction holds; nil when the only free units are held.
    private static func allocate(_ request: AllocationRequest, _ c: PostgresConnection) async throws -> Allocation? {
        var returning = true
        var rows = try await c.rows("SELECT unit_id, line, fields FROM units WHERE pool = \(request.pool) AND mac = \(request.mac)")
        if rows.isEmpty {
            returning = false
            rows = try await c.rows("""
                UPDATE units SET mac = \(request.mac), bound_at = \(request.time), bound_station = \(request.stationID),
                                 bound_attempt = \(request.attemptID)
                WHERE (pool, unit_id) = (SELECT pool, unit_id FROM units WHERE pool = \(request.pool) AND mac IS NULL
                                         ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING unit_id, line, fields
                """)
            guard let bound = rows.first else {
                let free = try await c.rows("SELECT COUNT(*) AS n FROM units WHERE pool = \(request.pool) AND mac IS NULL")
                if try free[0].int("n") > 0 { return nil }
                throw StoreError(.poolExhausted, "no free unit is left in pool '\(request.pool)'")
            }
            try await c.run("""
                INSERT INTO unit_events (pool, unit_id, mac, event, station_id, attempt_id, at)
                VALUES (\(request.pool), \(try bound.string("unit_id")), \(request.mac), 'bound', \(request.stationID), \(request.attemptID), \(request.time))
                """)
        }
        let row = rows[0]
        let unit = Unit(id: try row.string("unit_id"), line: try row.int("line"), fields: JSONCoding.decodeFields(try row.string("fields")))
        try await c.run("""
            UPDATE in_flight SET pool = \(request.pool), unit_id = \(unit.id), mac = \(request.mac) WHERE attempt_id = \(request.attemptID)
            """)
        return Allocation(unit: unit, returning: returning)
    }

    // MARK: - Modules in flight and records

    public func track(_ attempt: Attempt) async throws(StoreError) {
        try await transaction("noting a module in flight") { c in
            try await c.run("""
                INSERT INTO in_flight (attempt_id, station_id, operator, recipe_hash, port, started_at, stage, mac, chip, revision, pool, unit_id, stage_times)
                VALUES (\(attempt.attemptID), \(attempt.stationID), \(attempt.operatorName), \(attempt.recipeHash), \(attempt.port), \(attempt.startedAt),
                        \(attempt.stage.rawValue), \(attempt.mac), \(attempt.chip), \(attempt.revision), \(attempt.pool), \(attempt.unit),
                        \(JSONCoding.encode(attempt.stageTimes)))
                ON CONFLICT (attempt_id) DO UPDATE SET stage = excluded.stage, mac = excluded.mac, chip = excluded.chip,
                    revision = excluded.revision, pool = COALESCE(excluded.pool, in_flight.pool),
                    unit_id = COALESCE(excluded.unit_id, in_flight.unit_id), stage_times = excluded.stage_times
                """)
        }
    }

    public func finish(_ record: ModuleRecord, releaseUnit: Bool) async throws(StoreError) -> ModuleRecord {
        try await transaction("writing a record") { c in try await Self.insert(record, releaseUnit: releaseUnit, c) }
    }

    static func insert(_ record: ModuleRecord, releaseUnit: Bool, _ c: PostgresConnection) async throws -> ModuleRecord {
        // Taken first: record inserts (and so their ids) go one at a time in commit order, and two writes of one
        // attempt (a journal replay racing a recovery) see each other.
        try await c.run("SELECT pg_advisory_xact_lock(\(recordLock))")
        if let existing = try await c.rows("SELECT * FROM records WHERE attempt_id = \(record.attemptID)").first {
            try await c.run("DELETE FROM in_flight WHERE attempt_id = \(record.attemptID)")
            var written = try Self.record(existing)
            written.files = try await files(of: [written.id!], c)[written.id!] ?? []
            return written
        }
        var record = record
        if record.unit == nil, let mac = record.mac,
           let bound = try await c.rows("SELECT pool, unit_id FROM units WHERE bound_attempt = \(record.attemptID) AND mac = \(mac)").first {
            record.pool = try bound.string("pool")
            record.unit = try bound.string("unit_id")
        }
        if releaseUnit, let pool = record.pool, let unit = record.unit, let mac = record.mac {
            let released = try await c.rows("""
                UPDATE units SET mac = NULL, bound_at = NULL, bound_station = NULL, bound_attempt = NULL
                WHERE pool = \(pool) AND unit_id = \(unit) AND mac = \(mac) RETURNING unit_id
                """)
            if !released.isEmpty {
                record.unitReleased = true
                try await c.run("""
                    INSERT INTO unit_events (pool, unit_id, mac, event, station_id, attempt_id, at)
                    VALUES (\(pool), \(unit), \(mac), 'released', \(record.stationID), \(record.attemptID), \(record.finishedAt))
                    """)
            }
        }
        let inserted = try await c.rows("""
            INSERT INTO records (attempt_id, station_id, operator, recipe_hash, port, mac, chip, revision, pool, unit_id, result, stage, reason, error,
                                 started_at, finished_at, stage_times, bytes_sent, retries, unit_released)
            VALUES (\(record.attemptID), \(record.stationID), \(record.operatorName), \(record.recipeHash), \(record.port), \(record.mac),
                    \(record.chip), \(record.revision), \(record.pool), \(record.unit), \(record.result.rawValue), \(record.stage.rawValue),
                    \(record.reason), \(record.error), \(record.startedAt), \(record.finishedAt), \(JSONCoding.encode(record.stageTimes)),
                    \(record.bytesSent), \(record.retries), \(record.unitReleased))
            RETURNING id
            """)
        let id = try inserted[0].int64("id")
        record.id = id
        if !record.files.isEmpty {
            let files = record.files
            try await c.run("""
                INSERT INTO record_files (record_id, position, name, address, size, md5, status)
                SELECT \(id), * FROM unnest(\(Array(files.indices))::int[], \(files.map(\.name))::text[], \(files.map { Int64($0.address) })::bigint[],
                                           \(files.map { Int64($0.size) })::bigint[], \(files.map(\.md5))::text[], \(files.map(\.status))::text[])
                """)
        }
        try await c.run("DELETE FROM in_flight WHERE attempt_id = \(record.attemptID)")
        try await c.run("SELECT pg_notify(\(channel), 'record')")
        return record
    }

    public func recoverAbandoned(stationID: String, at time: Int64, release: @Sendable (ModuleRecord) -> Bool) async throws(StoreError) -> [ModuleRecord] {
        var records: [ModuleRecord] = []
        for attempt in try await inFlight(stationID: stationID) {
            let record = attempt.abandonedRecord(at: time)
            let releaseUnit = release(record)
            records.append(try await finish(record, releaseUnit: releaseUnit))
        }
        return records
    }
}

/// The store logs nothing (errors are thrown, with what was being done).
let quietLogger = Logger(label: "espflash-swift.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

extension PostgresConnection {
    var logger: Logger { quietLogger }

    /// All rows of `query`, by column name.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    /// Runs a statement whose rows (if any) do not matter.
    func run(_ query: PostgresQuery) async throws {
        _ = try await self.query(query, logger: logger).collect()
    }
}
