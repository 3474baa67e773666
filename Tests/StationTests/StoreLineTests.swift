import Foundation
import GRDB
import Station
import StationPostgres
import Synchronization
import TestSupport
import Testing

/// What a line of stations needs from the store, on SQLite and PostgreSQL: the schema version and its guard,
/// idempotent records (the journal replays them), port states and change signals for the dashboard, searches, and
/// several stations allocating from one pool at once.
@Suite("Station storage for a line")
struct StoreLineTests {
    static func record(_ mac: String?, attempt: String, unit: String? = nil, result: ModuleRecord.Outcome = .passed, finishedAt: Int64 = 2) -> ModuleRecord {
        ModuleRecord(attemptID: attempt, stationID: "s1", operatorName: "op", recipeHash: "h", port: "p", mac: mac, chip: "esp32",
                     pool: unit == nil ? nil : "units", unit: unit, result: result, stage: result == .passed ? .done : .write,
                     error: result == .failed ? "boom" : nil, startedAt: 1, finishedAt: finishedAt,
                     files: [RecordFile(name: "a.bin", address: 0x1000, size: 4, md5: "m", status: "verified")])
    }

    /// Adds a migration this tool does not know to the database, as a newer tool would.
    static func addNewerMigration(_ test: TestStore) async throws {
        if let url = test.databaseURL, let server = try PostgresServer.shared() {
            let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
            _ = try server.sql("INSERT INTO schema_migrations (version, summary, applied_at) VALUES (99, 'future', 0)", database: database)
        } else {
            let queue = try DatabaseQueue(path: test.directory + "/station.db")
            try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')") }
        }
    }

    @Test("a new database gets the whole schema and says its version; one written by a newer tool is refused", arguments: StoreKind.allCases)
    func schemaVersion(_ kind: StoreKind) async throws {
        guard let test = try await TestStore(kind) else { return }
        #expect(try await test.store.schemaVersion() == StationSchema.latestVersion)
        #expect(StationSchema.latestVersion == 2)
        // Opening it again migrates nothing and keeps the version.
        #expect(try await test.reopen().schemaVersion() == StationSchema.latestVersion)
        try await Self.addNewerMigration(test)
        do {
            _ = try await test.reopen()
            Issue.record("a database of a newer schema was opened")
        } catch let error as StoreError {
            #expect(error.kind == .schema, "\(error)")
        }
    }

    @Test("a SQLite file of the first station release (migration v1 only) is migrated to the current schema, its data kept")
    func sqliteFromVersion1() async throws {
        let directory = try LineStationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/station.db"
        let queue = try DatabaseQueue(path: path)
        var first = DatabaseMigrator()
        first.registerMigration("v1") { db in try db.execute(sql: StationSchema.migrations[0].sqlite) }
        try first.migrate(queue)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO units (pool, unit_id, position, line, fields, mac) VALUES ('units', 'S0', 0, 2, '[]', 'aa')")
        }
        try queue.close()
        let store = try SQLiteStationStore(path: path)
        #expect(try await store.schemaVersion() == 2)
        #expect(try await store.units(pool: "units").map(\.mac) == ["aa"])
        try await store.publish([PortState(stationID: "s1", port: "p", activity: .waiting, updatedAt: 5)])
        #expect(try await store.portStates().count == 1)
    }

    @Test("a record written twice (a journal replay) stays one record; a record without its unit gets the one its attempt bound",
          arguments: StoreKind.allCases)
    func idempotentRecords(_ kind: StoreKind) async throws {
        guard let test = try await TestStore(kind) else { return }
        let store = test.store
        _ = try await store.importUnits(StoreTests.pool(3))
        try await store.track(Attempt(attemptID: "a1", stationID: "s1", operatorName: "op", recipeHash: "h", port: "p", startedAt: 1))
        _ = try await store.allocate(StoreTests.request("aa", attempt: "a1"))
        // The allocation committed but its answer was lost: the record names no unit.
        let first = try await store.finish(Self.record("aa", attempt: "a1", result: .failed), releaseUnit: false)
        #expect(first.unit == "S0" && first.pool == "units")
        let again = try await store.finish(Self.record("aa", attempt: "a1", result: .failed), releaseUnit: true)
        #expect(again.id == first.id && again.unit == "S0" && !again.unitReleased && again.files == first.files)
        #expect(try await store.records(RecordQuery()).count == 1)
        #expect(try await store.units(pool: "units").first?.mac == "aa", "the second write released nothing")
        #expect(try await store.inFlight(stationID: nil).isEmpty)
    }

    @Test("records newest first, since a time, limited; units found by any value", arguments: StoreKind.allCases)
    func queries(_ kind: StoreKind) async throws {
        guard let test = try await TestStore(kind) else { return }
        let store = test.store
        _ = try await store.importUnits(StoreTests.pool(4))
        for i in 0..<5 { _ = try await store.finish(Self.record("m\(i)", attempt: "a\(i)", finishedAt: Int64(1000 * i)), releaseUnit: false) }
        #expect(try await store.records(RecordQuery(newestFirst: true, limit: 2)).map(\.attemptID) == ["a4", "a3"])
        #expect(try await store.records(RecordQuery(finishedSince: 3000)).map(\.attemptID) == ["a3", "a4"])
        #expect(try await store.records(RecordQuery(newestFirst: true, limit: 3)).allSatisfy { $0.files.count == 1 })
        #expect(try await store.units(withValue: "n2").map(\.unit.id) == ["S2"])
        #expect(try await store.units(withValue: "S1").map(\.unit.id) == ["S1"])
        #expect(try await store.units(withValue: "n").isEmpty, "a value matches whole, not in part")
    }

    @Test("port states round-trip and each change is signalled; a record is signalled too", arguments: StoreKind.allCases)
    func portStatesAndChanges(_ kind: StoreKind) async throws {
        guard let test = try await TestStore(kind) else { return }
        let store = test.store
        let signals = Mutex(0)
        let watcher = Task { for await _ in store.changes() { signals.withLock { $0 += 1 } } }
        defer { watcher.cancel() }
        try await Self.wait { signals.withLock { $0 } >= 1 }
        var state = PortState(stationID: "s1", port: "virtual://a", activity: .running, stage: .write, progress: 0.5, mac: "aa", unit: "S0",
                              attemptID: "x", passed: 3, failed: 1, updatedAt: 10)
        try await store.publish([state, PortState(stationID: "s2", port: "virtual://b", activity: .databaseUnavailable, message: "gone", updatedAt: 11)])
        try await Self.wait { signals.withLock { $0 } >= 2 }
        let read = try await store.portStates()
        #expect(read.count == 2)
        #expect(read[0].sameContent(as: state) && read[1].activity == .databaseUnavailable && read[1].message == "gone")
        #expect(read[0].sequence > 0)
        state.activity = .stopped
        try await store.publish([state])
        let again = try await store.portStates()
        #expect(again[0].activity == .stopped && again[0].sequence > read[1].sequence)
        let before = signals.withLock { $0 }
        _ = try await store.finish(Self.record("aa", attempt: "r1"), releaseUnit: false)
        try await Self.wait { signals.withLock { $0 } > before }
    }

    @Test("four stations allocate from one pool at once: every MAC its own unit, no unit twice, nobody waits long", arguments: StoreKind.allCases)
    func stationsAllocatingTogether(_ kind: StoreKind) async throws {
        guard let test = try await TestStore(kind) else { return }
        _ = try await test.store.importUnits(StoreTests.pool(200))
        var stations: [any StationStore] = [test.store]
        for _ in 1..<4 { stations.append(try await test.reopen()) }
        let all = stations
        let started = Date()
        let results = try await withThrowingTaskGroup(of: [(String, String, Double)].self) { group in
            for (s, store) in all.enumerated() {
                for port in 0..<4 {
                    group.addTask {
                        var got: [(String, String, Double)] = []
                        for i in 0..<12 {
                            let mac = "s\(s)p\(port)m\(i)"
                            let begin = Date()
                            let unit = try await store.allocate(AllocationRequest(pool: "units", mac: mac, stationID: "s\(s)", attemptID: mac, time: 1))
                            got.append((mac, unit.unit.id, Date().timeIntervalSince(begin)))
                        }
                        return got
                    }
                }
            }
            var all: [(String, String, Double)] = []
            for try await r in group { all += r }
            return all
        }
        #expect(results.count == 192)
        #expect(Set(results.map(\.1)).count == 192, "no unit twice")
        let slowest = results.map(\.2).max() ?? 0
        #expect(slowest < 5, "an allocation waited \(slowest) s")
        let units = try await test.store.units(pool: "units")
        #expect(units.filter { $0.mac != nil }.count == 192)
        print("\(kind): 192 allocations by 16 tasks on 4 stations in \(Date().timeIntervalSince(started)) s, slowest \(slowest) s")
    }

    /// Waits for `condition`, for minutes at most: when the whole suite runs, tests that block Swift's cooperative
    /// pool (one thread per core) can hold up every timer of this process for minutes; only a failure waits that long.
    static func wait(timeout: Double = 600, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else {
                Issue.record("timed out")
                return
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }
}
