import Foundation
import Station
import StationPostgres
import TestSupport
import Testing

/// A line of stations on one PostgreSQL server, as a line runs it: several station processes at once, one killed
/// with -9 and restarted, the database stopped and started under them, and the dashboard in a real browser.
@Suite("a line of stations on PostgreSQL", .serialized)
struct StationLineCLITests {
    static func port(_ seed: Int, _ dir: String, _ extra: String = "") -> String {
        "virtual://esp32?line=\(seed)&size=1MB&flash-dir=\(dir)/modules" + extra
    }

    static func setUp(units: Int) throws -> (dir: String, recipe: String) {
        let dir = try CLI.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/modules", withIntermediateDirectories: true)
        return (dir, try StationFixture.write(to: dir, units: units, ports: []))
    }

    static func station(_ recipe: String, db: String, id: String, modules: Int, ports: [String], dir: String) throws -> LineProcess {
        try LineProcess(["station", "run", recipe, "--db", db, "--station", id, "--modules", String(modules), "--json"] + ports.flatMap { ["--port", $0] },
                        stderrPath: dir + "/\(id)-\(UUID().uuidString.prefix(6)).stderr")
    }

    /// One unit per MAC and one MAC per unit over all records, and the bindings are exactly the records' (no release).
    static func checkAllocations(_ records: [ModuleRecord], _ units: [UnitState]) {
        let withUnit = records.filter { $0.unit != nil }
        let unitsByMAC = Dictionary(grouping: withUnit, by: { $0.mac! }).mapValues { Set($0.map { $0.unit! }) }
        let macsByUnit = Dictionary(grouping: withUnit, by: { $0.unit! }).mapValues { Set($0.map { $0.mac! }) }
        #expect(unitsByMAC.values.allSatisfy { $0.count == 1 }, "a MAC got two units")
        #expect(macsByUnit.values.allSatisfy { $0.count == 1 }, "a unit went to two MACs")
        let bound = Dictionary(uniqueKeysWithValues: units.compactMap { u in u.mac.map { (u.unit.id, $0) } })
        #expect(bound == macsByUnit.mapValues { $0.first! }, "the bindings are the records' allocations")
    }

    @Test("4 stations × 50 modules on one PostgreSQL, one killed with -9 and restarted: 200 records, no unit twice")
    func fourStations() async throws {
        guard let server = try await offPool({ try PostgresServer.shared() }) else { return }
        let db = try await offPool { try server.createDatabase() }
        let (dir, recipe) = try Self.setUp(units: 320)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let slow = "&fault=delay-reply:1"
        var stations = try (0..<4).map { k in
            try Self.station(recipe, db: db, id: "line\(k)", modules: 50, ports: [Self.port(60 + 2 * k, dir, slow), Self.port(61 + 2 * k, dir, slow)], dir: dir)
        }
        // Station 0 dies mid-run: -9 once it has recorded some modules (one is in flight then, most likely).
        #expect(await stations[0].waitUntil { $0.count("record") >= 8 }, "\(stations[0].stderr)")
        stations[0].kill9()
        let printed = stations[0].events.filter { $0.event["event"] as? String == "record" }.compactMap { $0.event["record"] as? [String: Any] }
        let store = try await PostgresStationStore(url: db)
        let recordedBefore = try await store.records(RecordQuery(stationID: "line0")).count
        let inFlight = try await store.inFlight(stationID: "line0").count
        #expect(recordedBefore >= printed.count)
        // The restarted station records what was in flight as abandoned, then does the rest of its 50.
        let restarted = try Self.station(recipe, db: db, id: "line0", modules: 50 - recordedBefore - inFlight,
                                         ports: [Self.port(60, dir, slow), Self.port(61, dir, slow)], dir: dir)
        stations[0] = restarted
        for (k, station) in stations.enumerated() {
            #expect(await station.wait() == 0, "station \(k): \(station.tail)")
        }
        #expect(restarted.count("recovered") == inFlight)

        let records = try await store.records(RecordQuery())
        #expect(records.count == 200, "\(Dictionary(grouping: records, by: \.stationID).mapValues(\.count))")
        #expect(Set(records.map(\.attemptID)).count == records.count)
        for k in 0..<4 { #expect(records.filter { $0.stationID == "line\(k)" }.count == 50) }
        #expect(records.filter { $0.reason == "abandoned" }.count == inFlight)
        #expect(records.allSatisfy { $0.result == .passed || $0.reason == "abandoned" })
        let byAttempt = Dictionary(uniqueKeysWithValues: records.map { ($0.attemptID, $0) })
        for record in printed { #expect(byAttempt[record["attempt_id"] as! String] != nil, "a printed record is not stored") }
        Self.checkAllocations(records, try await store.units(pool: "units"))
        #expect(try await store.inFlight(stationID: nil).isEmpty)
        // Every passed module's flash holds its own unit's values.
        for record in records where record.result == .passed {
            let file = dir + "/modules/" + record.mac!.replacingOccurrences(of: ":", with: "") + ".bin"
            let flash = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(StationFixture.problems(inFlash: flash, serial: record.unit!) == [], "\(record.mac!)")
        }
        await store.close()
    }

    /// The dashboard's stream said the database could not be read during the outage, then showed the line again
    /// with every module once it was back.
    static func checkDashboard(_ stream: EventStreamClient, modules: Int) async throws {
        func states() -> [[String: Any]] {
            stream.events.filter { $0.name == "state" }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any] }
        }
        // A store call that a restart left hanging ends within the store's 20 s transaction deadline.
        let deadline = Date().addingTimeInterval(30)
        while ((states().last?["totals"] as? [String: Any])?["modules"] as? Int) != modules, Date() < deadline {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let all = states()
        let outage = all.firstIndex { !($0["database_error"] is NSNull) && $0["database_error"] != nil }
        #expect(outage != nil, "a state event during the outage carries database_error")
        if let outage { #expect(all[outage...].contains { $0["database_error"] is NSNull }, "a later state clears it") }
        #expect((all.last?["totals"] as? [String: Any])?["modules"] as? Int == modules, "the last state counts every module")
    }

    @Test("the database stopped (pg_ctl stop -m fast) and started again during a run: no record lost, no unit twice, the ports say so")
    func databaseRestart() async throws {
        guard PostgresServer.available else { return }
        let server = try await offPool { try PostgresServer() }
        defer { server.remove() }
        let db = try await offPool { try server.createDatabase() }
        let (dir, recipe) = try Self.setUp(units: 120)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let slow = "&baud-model=921600"
        let stations = try (0..<2).map { k in
            try Self.station(recipe, db: db, id: "line\(k)", modules: 20, ports: [Self.port(80 + 2 * k, dir, slow), Self.port(81 + 2 * k, dir, slow)], dir: dir)
        }
        // The dashboard follows the line through the outage.
        let (serve, dashboardPort) = try await DashboardCLITests.serve(db, dir: dir)
        defer { serve.kill9() }
        let stream = try EventStreamClient(port: dashboardPort, path: "/api/events")
        defer { stream.close() }
        for station in stations { #expect(await station.waitUntil { $0.count("record") >= 3 }) }
        try await offPool { try server.stop(mode: "fast") }
        try await Task.sleep(nanoseconds: 2_500_000_000)
        try await offPool { try server.start() }
        var codes: [Int32] = []
        for station in stations { codes.append(await station.wait()) }
        #expect(codes.allSatisfy { $0 == 0 || $0 == 1 }, "\(codes) \(stations.map(\.tail))")

        let store = try await PostgresStationStore(url: db)
        let records = try await store.records(RecordQuery())
        for (k, station) in stations.enumerated() {
            let started = Set(station.events.filter { $0.event["event"] as? String == "module_start" }.map { $0.event["attempt_id"] as! String })
            let stored = Set(records.filter { $0.stationID == "line\(k)" }.map(\.attemptID))
            #expect(started == stored, "station \(k): every module started has its record")
            #expect(stored.count == 20)
            let lost = Set(station.events.filter { $0.event["event"] as? String == "database_unavailable" }.map { $0.event["port"] as! String })
            let back = Set(station.events.filter { $0.event["event"] as? String == "database_back" }.map { $0.event["port"] as! String })
            #expect(lost.count == 2 && lost == back, "station \(k): both ports report the outage and the return: \(lost) \(back)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/station-journal-line\(k).ndjson"), "station \(k): the journal was written")
            let result = station.events.last?.event
            #expect(result?["event"] as? String == "result" && result?["attempts"] as? Int == 20)
        }
        #expect(Set(records.map(\.attemptID)).count == records.count)
        #expect(records.filter { $0.result == .failed }.allSatisfy { $0.reason == "database_unavailable" })
        #expect(serve.process.isRunning, "the dashboard went through the outage: \(serve.process.isRunning ? "" : "exit \(serve.process.terminationStatus)") \(serve.tail)")
        try await Self.checkDashboard(stream, modules: records.count)
        Self.checkAllocations(records, try await store.units(pool: "units"))
        #expect(try await store.inFlight(stationID: nil).isEmpty)
        await store.close()
    }
}
