import ChipEmulator
import Foundation
import ImageFormats
import SerialBootloader
import Station
import Synchronization
import TestSupport
import Testing

/// The station against line ports in process: modules come one after another with new MACs, each gets its own unit.
@Suite("Station on line ports")
struct LineStationTests {
    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("espflash-station-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func plan(_ recipe: String, directory: String) throws -> StationPlan {
        try StationPlan.load(recipeText: String(contentsOfFile: recipe, encoding: .utf8), file: recipe, files: DirectoryFiles(directory: directory))
    }

    static func configuration(_ plan: StationPlan, store: SQLiteStationStore, limit: Int?) throws -> StationConfiguration {
        let ports = try plan.recipe.ports.map { try StationPort(path: $0.path, atPath: $0.atPath) }
        return StationConfiguration(plan: plan, ports: ports, store: store, opener: EmulatorPortOpener(), stationID: "test-station",
                                    operatorName: "tester", moduleLimit: limit)
    }

    @Test("4 ports, 100 modules: faults on two ports, one presenting a wrong chip; every unit once, every failure with its stage")
    func hundredModules() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let modules = directory + "/modules"
        try FileManager.default.createDirectory(atPath: modules, withIntermediateDirectories: true)
        let ports = [
            "virtual://esp32?line=11&size=1MB&flash-dir=\(modules)",
            "virtual://esp32?line=12&size=1MB&flash-dir=\(modules)&fault=corrupt-rx:0.01&fault=drop-reply:0.01",
            "virtual://esp32?line=13&size=1MB&flash-dir=\(modules)&fault=bad-sector:0x9000",
            "virtual://esp32s3?line=14&size=1MB&swap=100",
        ]
        let recipe = try StationFixture.write(to: directory, units: 150, ports: ports)
        let plan = try Self.plan(recipe, directory: directory)
        let store = try SQLiteStationStore(path: directory + "/station.db")
        let events = Mutex<[StationEvent]>([])
        let totals = try await StationRunner(try Self.configuration(plan, store: store, limit: 100))
            .run(cancellation: CancellationFlag()) { event in events.withLock { $0.append(event) } }
        let records = try await store.records(RecordQuery())

        #expect(records.count == 100 && totals.attempts == 100)
        let recordedEvents = events.withLock { $0.compactMap { if case .recorded(_, let r) = $0 { r } else { nil } } }
        #expect(recordedEvents.map(\.attemptID).sorted() == records.map(\.attemptID).sorted())
        let byPort = Dictionary(grouping: records, by: \.port)
        #expect(byPort.count == 4, "every port had modules: \(byPort.mapValues(\.count))")

        // Every failure names its stage and why.
        for record in records where record.result == .failed {
            #expect(record.stage != .done && record.reason != nil && !(record.error ?? "").isEmpty, "\(record)")
        }
        for record in byPort[ports[3]] ?? [] {
            #expect(record.result == .failed && record.stage == .check && record.reason == "wrong_chip" && record.unit == nil)
            #expect(record.chip == "esp32s3")
        }
        for record in byPort[ports[2]] ?? [] {
            #expect(record.result == .failed && [.write, .verify].contains(record.stage) && record.unit != nil, "\(record)")
        }
        let clean = (byPort[ports[0]] ?? []) + (byPort[ports[1]] ?? [])
        #expect(clean.allSatisfy { $0.result == .passed }, "\(clean.filter { $0.result == .failed }.map { ($0.stage, $0.error ?? "") })")
        #expect((byPort[ports[1]] ?? []).contains { $0.retries > 0 }, "the faults on port 2 caused retries")

        // No unit twice: distinct MACs got distinct units, and the bindings are those of the records.
        let withUnits = records.filter { $0.unit != nil }
        #expect(Set(withUnits.map { $0.unit! }).count == withUnits.count)
        #expect(Set(withUnits.map { $0.mac! }).count == withUnits.count)
        let bindings = try await store.units(pool: "units").filter { $0.mac != nil }
        #expect(Dictionary(uniqueKeysWithValues: bindings.map { ($0.unit.id, $0.mac!) }) == Dictionary(uniqueKeysWithValues: withUnits.map { ($0.unit!, $0.mac!) }))

        // Each passed module's flash holds its own unit's factory_param and NVS values.
        let passed = records.filter { $0.result == .passed }
        #expect(passed.count >= 20)
        for record in passed {
            let file = modules + "/" + record.mac!.replacingOccurrences(of: ":", with: "") + ".bin"
            let flash = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(StationFixture.problems(inFlash: flash, serial: record.unit!) == [], "\(record.mac!) \(record.unit!)")
            #expect(record.files.count >= 6 && record.files.allSatisfy { $0.status == "verified" })
            #expect(record.stageTimes.map(\.stage) == [.open, .connect, .check, .allocate, .build, .write, .verify, .reset, .test])
        }
        let yields = StageYield.compute(records)
        #expect(yields.first { $0.stage == .check }?.failed == byPort[ports[3]]?.count)
    }

    @Test("release = \"failed\": a failed module's unit goes back to the pool and the next module gets it")
    func releasePolicy() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recipe = try StationFixture.write(to: directory, units: 5, ports: ["virtual://esp32?line=3&size=1MB&fault=bad-sector:0x30000"],
                                              unitExtra: "release = \"failed\"", recipeExtra: "[retries]\nwrite = 0")
        let plan = try Self.plan(recipe, directory: directory)
        let store = try SQLiteStationStore(path: directory + "/station.db")
        _ = try await StationRunner(try Self.configuration(plan, store: store, limit: 3)).run(cancellation: CancellationFlag()) { _ in }
        let records = try await store.records(RecordQuery())
        #expect(records.count == 3 && records.allSatisfy { $0.result == .failed && $0.unitReleased && $0.unit == StationFixture.serial(0) })
        #expect(Set(records.compactMap(\.mac)).count == 3)
        #expect(try await store.units(pool: "units").allSatisfy { $0.mac == nil })
    }

    @Test("a module whose flash cannot be saved fails at reset, not passed (issue 16: a lost write is no success)")
    func unsavedFlashFailsTheModule() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // flash-dir names a folder that does not exist: the module's flash cannot be saved when the port is released.
        let recipe = try StationFixture.write(to: directory, units: 3, ports: ["virtual://esp32?line=21&size=1MB&flash-dir=\(directory)/missing"],
                                              testAT: false)
        let plan = try Self.plan(recipe, directory: directory)
        let store = try SQLiteStationStore(path: directory + "/station.db")
        _ = try await StationRunner(try Self.configuration(plan, store: store, limit: 1)).run(cancellation: CancellationFlag()) { _ in }
        let records = try await store.records(RecordQuery())
        #expect(records.count == 1)
        #expect(records.allSatisfy { $0.result == .failed && $0.stage == .reset && ($0.error ?? "").contains("cannot write") }, "\(records)")
    }
}
