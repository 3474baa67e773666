import PostgresNIO
import Station

/// Reading records, units and modules in flight; the line's live view (port states, LISTEN/NOTIFY).
extension PostgresStationStore {
    public func records(_ query: RecordQuery) async throws(StoreError) -> [ModuleRecord] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func add(_ condition: String, _ value: some PostgresDynamicTypeEncodable) {
            binds.append(value)
            conditions.append(condition.replacingOccurrences(of: "?", with: "$\(binds.count)"))
        }
        if let v = query.stationID { add("station_id = ?", v) }
        if let v = query.mac { add("mac = ?", v) }
        if let v = query.unit { add("unit_id = ?", v) }
        if let v = query.result { add("result = ?", v.rawValue) }
        if let v = query.afterID { add("id > ?", v) }
        if let v = query.finishedSince { add("finished_at >= ?", v) }
        var sql = "SELECT * FROM records"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += query.newestFirst ? " ORDER BY id DESC" : " ORDER BY id"
        if let limit = query.limit { sql += " LIMIT \(max(0, limit))" }
        let statement = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await transaction("reading records") { c in
            var records = try await c.rows(statement).map(Self.record)
            let files = try await Self.files(of: records.compactMap(\.id), c)
            for i in records.indices { records[i].files = files[records[i].id!] ?? [] }
            return records
        }
    }

    static func files(of ids: [Int64], _ c: PostgresConnection) async throws -> [Int64: [RecordFile]] {
        guard !ids.isEmpty else { return [:] }
        var files: [Int64: [RecordFile]] = [:]
        for row in try await c.rows("SELECT * FROM record_files WHERE record_id = ANY(\(ids)) ORDER BY record_id, position") {
            files[try row.int64("record_id"), default: []].append(RecordFile(name: try row.string("name"), address: Int(try row.int64("address")),
                                                                             size: Int(try row.int64("size")), md5: try row.string("md5"),
                                                                             status: try row.string("status")))
        }
        return files
    }

    static func record(_ row: PostgresRandomAccessRow) throws -> ModuleRecord {
        ModuleRecord(id: try row.int64("id"), attemptID: try row.string("attempt_id"), stationID: try row.string("station_id"),
                     operatorName: try row.string("operator"), recipeHash: try row.string("recipe_hash"), port: try row.string("port"),
                     mac: try row.optionalString("mac"), chip: try row.optionalString("chip"), revision: try row.optionalString("revision"),
                     pool: try row.optionalString("pool"), unit: try row.optionalString("unit_id"),
                     result: ModuleRecord.Outcome(rawValue: try row.string("result")) ?? .failed,
                     stage: StationStage(rawValue: try row.string("stage")) ?? .done, reason: try row.optionalString("reason"),
                     error: try row.optionalString("error"), startedAt: try row.int64("started_at"), finishedAt: try row.int64("finished_at"),
                     stageTimes: JSONCoding.decode(try row.string("stage_times")) ?? [], bytesSent: Int(try row.int64("bytes_sent")),
                     retries: try row.int("retries"), unitReleased: try row["unit_released"].decode(Bool.self))
    }

    public func units(pool: String) async throws(StoreError) -> [UnitState] {
        try await rows("reading units", "SELECT * FROM units WHERE pool = \(pool) ORDER BY position", Self.unitState)
    }

    public func units(withValue value: String) async throws(StoreError) -> [UnitState] {
        let needle = JSONCoding.encode(value)
        return try await rows("searching units", """
            SELECT * FROM units WHERE unit_id = \(value) OR strpos(fields, \(needle)) > 0 ORDER BY pool, position
            """, Self.unitState).filter { $0.matches(value) }
    }

    static func unitState(_ row: PostgresRandomAccessRow) throws -> UnitState {
        UnitState(pool: try row.string("pool"),
                  unit: Unit(id: try row.string("unit_id"), line: try row.int("line"), fields: JSONCoding.decodeFields(try row.string("fields"))),
                  mac: try row.optionalString("mac"), boundAt: try row["bound_at"].decode(Int64?.self),
                  boundBy: try row.optionalString("bound_station"))
    }

    public func inFlight(stationID: String?) async throws(StoreError) -> [Attempt] {
        let query: PostgresQuery = if let stationID {
            "SELECT * FROM in_flight WHERE station_id = \(stationID) ORDER BY started_at"
        } else {
            "SELECT * FROM in_flight ORDER BY started_at"
        }
        return try await rows("reading modules in flight", query) { row in
            Attempt(attemptID: try row.string("attempt_id"), stationID: try row.string("station_id"), operatorName: try row.string("operator"),
                    recipeHash: try row.string("recipe_hash"), port: try row.string("port"), startedAt: try row.int64("started_at"),
                    stage: StationStage(rawValue: try row.string("stage")) ?? .open, mac: try row.optionalString("mac"),
                    chip: try row.optionalString("chip"), revision: try row.optionalString("revision"), pool: try row.optionalString("pool"),
                    unit: try row.optionalString("unit_id"), stageTimes: JSONCoding.decode(try row.string("stage_times")) ?? [])
        }
    }

    // MARK: - Port states and changes

    public func publish(_ states: [PortState]) async throws(StoreError) {
        try await transaction("publishing port states") { c in
            for state in states {
                try await c.run("""
                INSERT INTO port_state (station_id, port, state, stage, progress, mac, unit_id, attempt_id, message, last_result, last_error,
                                        passed, failed, updated_at, seq)
                VALUES (\(state.stationID), \(state.port), \(state.activity.rawValue), \(state.stage?.rawValue), \(state.progress), \(state.mac),
                        \(state.unit), \(state.attemptID), \(state.message), \(state.lastResult?.rawValue), \(state.lastError), \(state.passed),
                        \(state.failed), \(state.updatedAt), nextval('port_state_seq'))
                ON CONFLICT (station_id, port) DO UPDATE SET state = excluded.state, stage = excluded.stage, progress = excluded.progress,
                    mac = excluded.mac, unit_id = excluded.unit_id, attempt_id = excluded.attempt_id, message = excluded.message,
                    last_result = excluded.last_result, last_error = excluded.last_error, passed = excluded.passed, failed = excluded.failed,
                    updated_at = excluded.updated_at, seq = excluded.seq
                """)
            }
            try await c.run("SELECT pg_notify(\(Self.channel), 'port')")
        }
    }

    public func portStates() async throws(StoreError) -> [PortState] {
        try await rows("reading port states", "SELECT * FROM port_state ORDER BY station_id, port") { row in
            PortState(stationID: try row.string("station_id"), port: try row.string("port"),
                      activity: PortState.Activity(rawValue: try row.string("state")) ?? .stopped,
                      stage: try row.optionalString("stage").flatMap(StationStage.init), progress: try row["progress"].decode(Double?.self),
                      mac: try row.optionalString("mac"), unit: try row.optionalString("unit_id"), attemptID: try row.optionalString("attempt_id"),
                      message: try row.optionalString("message"), lastResult: try row.optionalString("last_result").flatMap(ModuleRecord.Outcome.init),
                      lastError: try row.optionalString("last_error"), passed: try row.int("passed"), failed: try row.int("failed"),
                      updatedAt: try row.int64("updated_at"), sequence: try row.int64("seq"))
        }
    }

    /// LISTENs on `espflash_station` on a connection of its own; yields at the start, on every notification, and
    /// after the connection was lost and made again (something may have changed meanwhile). Reconnects with a
    /// backoff of 0.25 s doubling to 5 s.
    public func changes() -> AsyncStream<Void> {
        let configuration = connections.configuration
        return AsyncStream { continuation in
            let task = Task {
                var delay = 0.25
                while !Task.isCancelled {
                    if let connection = try? await PostgresConnections.connect(configuration, id: 0, deadline: 10) {
                        delay = 0.25
                        continuation.yield()
                        try? await connection.listen(on: Self.channel) { notifications in
                            for try await _ in notifications { continuation.yield() }
                        }
                        try? await connection.close()
                    }
                    if Task.isCancelled { break }
                    try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                    delay = min(5, delay * 2)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Typed column reads by name.
extension PostgresRandomAccessRow {
    func string(_ column: String) throws -> String { try self[column].decode(String.self) }
    func optionalString(_ column: String) throws -> String? { try self[column].decode(String?.self) }
    func int(_ column: String) throws -> Int { try self[column].decode(Int.self) }
    func int64(_ column: String) throws -> Int64 { try self[column].decode(Int64.self) }
}
