import GRDB

/// The line's live view in SQLite: port states, and a poll that tells the dashboard when something changed.
extension SQLiteStationStore {
    public func publish(_ states: [PortState]) async throws(StoreError) {
        try await write("publishing port states") { db in
            for state in states {
                try db.execute(sql: """
                INSERT INTO port_state (station_id, port, state, stage, progress, mac, unit_id, attempt_id, message, last_result, last_error,
                                        passed, failed, updated_at, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT IFNULL(MAX(seq), 0) + 1 FROM port_state))
                ON CONFLICT(station_id, port) DO UPDATE SET state = excluded.state, stage = excluded.stage, progress = excluded.progress,
                    mac = excluded.mac, unit_id = excluded.unit_id, attempt_id = excluded.attempt_id, message = excluded.message,
                    last_result = excluded.last_result, last_error = excluded.last_error, passed = excluded.passed, failed = excluded.failed,
                    updated_at = excluded.updated_at, seq = excluded.seq
                """, arguments: [state.stationID, state.port, state.activity.rawValue, state.stage?.rawValue, state.progress, state.mac, state.unit,
                                 state.attemptID, state.message, state.lastResult?.rawValue, state.lastError, state.passed, state.failed,
                                 state.updatedAt])
            }
        }
    }

    public func portStates() async throws(StoreError) -> [PortState] {
        try await read("reading port states") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM port_state ORDER BY station_id, port").map { row in
                PortState(stationID: row["station_id"], port: row["port"], activity: PortState.Activity(rawValue: row["state"]) ?? .stopped,
                          stage: (row["stage"] as String?).flatMap(StationStage.init), progress: row["progress"], mac: row["mac"],
                          unit: row["unit_id"], attemptID: row["attempt_id"], message: row["message"],
                          lastResult: (row["last_result"] as String?).flatMap(ModuleRecord.Outcome.init), lastError: row["last_error"],
                          passed: row["passed"], failed: row["failed"], updatedAt: row["updated_at"], sequence: row["seq"])
            }
        }
    }

    /// Polls the newest record id and port-state sequence every `pollInterval` (another process writes the file, so
    /// there is nothing to listen to); yields once at the start and after every change.
    public func changes() -> AsyncStream<Void> {
        let interval = UInt64(pollInterval * 1e9)
        return AsyncStream { continuation in
            let task = Task {
                var last: [Int64]?
                while !Task.isCancelled {
                    let now = try? await read("polling") { db in
                        [try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(id), 0) FROM records") ?? 0,
                         try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(seq), 0) FROM port_state") ?? 0,
                         try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM in_flight") ?? 0]
                    }
                    if let now, now != last {
                        last = now
                        continuation.yield()
                    }
                    try? await Task.sleep(nanoseconds: interval)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
