import Foundation
import Station
import Testing

/// The SQLite store's promises, without ports: allocation, release, import, abandoned modules, records.
@Suite("Station storage (SQLite)")
struct StoreTests {
    static func pool(_ count: Int, name: String = "units") -> UnitPool {
        UnitPool(name: name, columns: ["serial", "ssid"],
                 units: (0..<count).map { Unit(id: "S\($0)", line: $0 + 2, fields: [.init(name: "serial", value: "S\($0)"), .init(name: "ssid", value: "n\($0)")]) })
    }

    static func store() throws -> (SQLiteStationStore, String) {
        let directory = try LineStationTests.temporaryDirectory()
        return (try SQLiteStationStore(path: directory + "/station.db"), directory)
    }

    static func request(_ mac: String, attempt: String = UUID().uuidString) -> AllocationRequest {
        AllocationRequest(pool: "units", mac: mac, stationID: "s1", attemptID: attempt, time: 1000)
    }

    static func record(_ mac: String, unit: String?, result: ModuleRecord.Outcome, stage: StationStage, attempt: String = UUID().uuidString) -> ModuleRecord {
        ModuleRecord(attemptID: attempt, stationID: "s1", operatorName: "op", recipeHash: "h", port: "p", mac: mac, chip: "esp32",
                     pool: unit == nil ? nil : "units", unit: unit, result: result, stage: stage, reason: result == .failed ? "x" : nil,
                     error: result == .failed ? "boom" : nil, startedAt: 1, finishedAt: 2,
                     stageTimes: [StageTime(stage: .connect, milliseconds: 5)], bytesSent: 10, retries: 1,
                     files: [RecordFile(name: "a.bin", address: 0x1000, size: 4, md5: "m", status: "verified")])
    }

    @Test("a MAC gets its own unit back; units go in file order, never to two MACs; an empty pool says so")
    func allocation() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try await store.importUnits(Self.pool(3)) == UnitImport(added: 3, updated: 0, total: 3, bound: 0))
        let a = try await store.allocate(Self.request("aa"))
        let b = try await store.allocate(Self.request("bb"))
        let a2 = try await store.allocate(Self.request("aa"))
        #expect(a.unit.id == "S0" && !a.returning && b.unit.id == "S1" && a2.unit.id == "S0" && a2.returning)
        #expect(a.unit.value("ssid") == "n0")
        _ = try await store.allocate(Self.request("cc"))
        await #expect(throws: StoreError.self) { try await store.allocate(Self.request("dd")) }
        let units = try await store.units(pool: "units")
        #expect(units.map(\.mac) == ["aa", "bb", "cc"])
    }

    @Test("parallel allocations from many tasks: every MAC one unit, no unit twice")
    func concurrentAllocation() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await store.importUnits(Self.pool(64))
        let results = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for i in 0..<96 { group.addTask { let mac = "m\(i % 48)"; return (mac, try await store.allocate(Self.request(mac)).unit.id) } }
            var all: [(String, String)] = []
            for try await r in group { all.append(r) }
            return all
        }
        let byMAC = Dictionary(grouping: results, by: \.0).mapValues { Set($0.map(\.1)) }
        #expect(byMAC.count == 48 && byMAC.values.allSatisfy { $0.count == 1 })
        #expect(Set(byMAC.values.map { $0.first! }).count == 48)
    }

    @Test("a record and its files round-trip; a release frees the unit in the same transaction")
    func recordsAndRelease() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await store.importUnits(Self.pool(2))
        _ = try await store.allocate(Self.request("aa"))
        let kept = try await store.finish(Self.record("aa", unit: "S0", result: .failed, stage: .test), releaseUnit: false)
        #expect(kept.id == 1 && !kept.unitReleased)
        let released = try await store.finish(Self.record("aa", unit: "S0", result: .failed, stage: .build), releaseUnit: true)
        #expect(released.unitReleased)
        #expect(try await store.units(pool: "units").allSatisfy { $0.mac == nil })
        #expect(try await store.allocate(Self.request("bb")).unit.id == "S0")
        let records = try await store.records(RecordQuery())
        #expect(records.count == 2 && records[0].files == kept.files && records[0].stageTimes == kept.stageTimes)
        #expect(records[0].error == "boom" && records[0].retries == 1 && records[0].bytesSent == 10)
        #expect(try await store.records(RecordQuery(mac: "aa", result: .failed)).count == 2)
        #expect(try await store.records(RecordQuery(afterID: 1)).map(\.id) == [2])
    }

    @Test("a bound unit whose values changed is refused at import; free ones are updated")
    func importConflict() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await store.importUnits(Self.pool(2))
        _ = try await store.allocate(Self.request("aa"))
        var changed = Self.pool(2)
        changed.units[1].fields[1].value = "new"
        #expect(try await store.importUnits(changed).updated == 1)
        changed.units[0].fields[1].value = "other"
        await #expect(throws: StoreError.self) { try await store.importUnits(changed) }
    }

    @Test("modules left in flight become abandoned records at their stage; the release policy decides their units")
    func abandoned() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await store.importUnits(Self.pool(3))
        for (i, stage) in [StationStage.write, .connect].enumerated() {
            let attempt = Attempt(attemptID: "a\(i)", stationID: "s1", operatorName: "op", recipeHash: "h", port: "p\(i)", startedAt: 5, stage: stage)
            try await store.track(attempt)
            if stage == .write { _ = try await store.allocate(Self.request("mac\(i)", attempt: "a\(i)")) }
        }
        try await store.track(Attempt(attemptID: "other", stationID: "s2", operatorName: "op", recipeHash: "h", port: "q", startedAt: 5))
        let recovered = try await store.recoverAbandoned(stationID: "s1", at: 9) { $0.stage.order < StationStage.erase.order }
        #expect(recovered.map(\.stage) == [.write, .connect])
        #expect(recovered[0].unit == "S0" && recovered[0].mac == "mac0" && !recovered[0].unitReleased && recovered[0].reason == "abandoned")
        #expect(try await store.inFlight(stationID: nil).map(\.attemptID) == ["other"])
        #expect(try await store.records(RecordQuery()).count == 2)
        // Opening the file again (a restarted station) keeps everything.
        let reopened = try SQLiteStationStore(path: store.path)
        #expect(try await reopened.units(pool: "units").first?.mac == "mac0")
    }
}
