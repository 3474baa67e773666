import ChipEmulator
import Foundation
import SerialBootloader
import Station
import Synchronization
import TestSupport
import Testing

/// A store that can be switched off: every call fails as an unreachable database does while `down` is set.
final class SwitchableStore: StationStore, @unchecked Sendable {
    let base: SQLiteStationStore
    let down = Mutex(false)
    /// Finishes that commit but then fail (the answer lost on the way back), while set.
    let loseAnswers = Mutex(false)
    var location: String { base.location }

    init(_ base: SQLiteStationStore) { self.base = base }

    private func check() throws(StoreError) {
        if down.withLock({ $0 }) { throw StoreError(.unavailable, "\(location): connection refused") }
    }

    func schemaVersion() async throws(StoreError) -> Int { try check(); return try await base.schemaVersion() }
    func ping() async throws(StoreError) { try check(); try await base.ping() }
    func importUnits(_ pool: UnitPool) async throws(StoreError) -> UnitImport { try check(); return try await base.importUnits(pool) }
    func track(_ attempt: Attempt) async throws(StoreError) { try check(); try await base.track(attempt) }
    func allocate(_ request: AllocationRequest) async throws(StoreError) -> Allocation { try check(); return try await base.allocate(request) }
    func finish(_ record: ModuleRecord, releaseUnit: Bool) async throws(StoreError) -> ModuleRecord {
        try check()
        let written = try await base.finish(record, releaseUnit: releaseUnit)
        if loseAnswers.withLock({ $0 }) { throw StoreError(.unavailable, "\(location): the connection broke before the answer came") }
        return written
    }
    func recoverAbandoned(stationID: String, at time: Int64, release: @Sendable (ModuleRecord) -> Bool) async throws(StoreError) -> [ModuleRecord] {
        try check()
        return try await base.recoverAbandoned(stationID: stationID, at: time, release: release)
    }
    func records(_ query: RecordQuery) async throws(StoreError) -> [ModuleRecord] { try check(); return try await base.records(query) }
    func units(pool: String) async throws(StoreError) -> [UnitState] { try check(); return try await base.units(pool: pool) }
    func units(withValue value: String) async throws(StoreError) -> [UnitState] { try check(); return try await base.units(withValue: value) }
    func inFlight(stationID: String?) async throws(StoreError) -> [Attempt] { try check(); return try await base.inFlight(stationID: stationID) }
    func publish(_ states: [PortState]) async throws(StoreError) { try check(); try await base.publish(states) }
    func portStates() async throws(StoreError) -> [PortState] { try check(); return try await base.portStates() }
    func changes() -> AsyncStream<Void> { base.changes() }
}

@Suite("Records kept while the database is away")
struct JournalTests {
    static func record(_ attempt: String) -> ModuleRecord {
        ModuleRecord(attemptID: attempt, stationID: "s1", operatorName: "op", recipeHash: "h", port: "p", mac: "aa", result: .passed, stage: .done,
                     startedAt: 1, finishedAt: 2, files: [RecordFile(name: "a.bin", address: 0x1000, size: 4, md5: "m", status: "verified")])
    }

    @Test("kept records are written once when the database answers; a line torn by a kill is ignored; the file goes away")
    func keepAndReplay() async throws {
        let directory = try LineStationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStationStore(path: directory + "/station.db")
        let journal = RecordJournal(path: RecordJournal.path(folder: directory, stationID: "line 1/a"), location: store.location)
        #expect(journal.path.hasSuffix("/station-journal-line_1_a.ndjson"))
        try await journal.keep(Self.record("a1"), releaseUnit: false)
        try await journal.keep(Self.record("a2"), releaseUnit: false)
        // One of them was written already (its commit happened; the answer did not come back).
        _ = try await store.finish(Self.record("a1"), releaseUnit: false)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: journal.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"database\":\"x\",\"rec".utf8))
        try handle.close()
        let pending = await journal.pending()
        #expect(pending.map(\.attemptID) == ["a1", "a2"])
        let written = try await journal.replay(into: store)
        #expect(written.map(\.attemptID) == ["a1", "a2"])
        #expect(try await store.records(RecordQuery()).map(\.attemptID) == ["a1", "a2"])
        #expect(!FileManager.default.fileExists(atPath: journal.path))
        // Records for another database stay in the file.
        let other = RecordJournal(path: journal.path, location: "postgres://elsewhere")
        try await other.keep(Self.record("b1"), releaseUnit: false)
        let replayedAgain = try await journal.replay(into: store)
        let stillKept = await other.pending()
        #expect(replayedAgain.isEmpty && stillKept.count == 1)
    }

    @Test("the database goes away during a run: modules stop at a safe point, their records wait in the journal, none is lost or doubled")
    func databaseAwayDuringRun() async throws {
        let directory = try LineStationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ports = ["virtual://esp32?line=31&size=1MB", "virtual://esp32?line=32&size=1MB&baud-model=921600"]
        let recipe = try StationFixture.write(to: directory, units: 40, ports: ports, testAT: false)
        let plan = try LineStationTests.plan(recipe, directory: directory)
        let store = SwitchableStore(try SQLiteStationStore(path: directory + "/station.db"))
        var configuration = StationConfiguration(plan: plan, ports: try ports.map { try StationPort(path: $0, atPath: nil) }, store: store,
                                                 opener: EmulatorPortOpener(), stationID: "s1", operatorName: "op", moduleLimit: 16)
        configuration.journal = RecordJournal(path: directory + "/journal.ndjson", location: store.location)
        configuration.databaseRetry = (0.05, 0.2)
        let events = Mutex<[StationEvent]>([])
        let recordedCount = Mutex(0)
        let run = Task {
            try await StationRunner(configuration).run(cancellation: CancellationFlag()) { event in
                events.withLock { $0.append(event) }
                if case .recorded = event { recordedCount.withLock { $0 += 1 } }
            }
        }
        // Away twice: once outright, once with answers lost after commits.
        for lose in [false, true] {
            try await StoreLineTests.wait { recordedCount.withLock { $0 } >= (lose ? 10 : 4) }
            if lose { store.loseAnswers.withLock { $0 = true } } else { store.down.withLock { $0 = true } }
            try await Task.sleep(nanoseconds: 400_000_000)
            store.down.withLock { $0 = false }
            store.loseAnswers.withLock { $0 = false }
        }
        let totals = try await run.value
        let records = try await store.records(RecordQuery())
        let all = events.withLock { $0 }
        let started = all.compactMap { if case .moduleStarted(_, _, let id) = $0 { id } else { nil } }
        #expect(totals.attempts == 16 && started.count == 16)
        #expect(Set(records.map(\.attemptID)) == Set(started), "every module started has exactly one record")
        #expect(records.count == Set(records.map(\.attemptID)).count)
        let withUnit = records.filter { $0.unit != nil }
        #expect(Dictionary(grouping: withUnit, by: { $0.unit! }).values.allSatisfy { Set($0.map(\.mac)).count == 1 }, "no unit to two MACs")
        #expect(Dictionary(grouping: withUnit, by: { $0.mac! }).values.allSatisfy { Set($0.map(\.unit)).count == 1 }, "no MAC with two units")
        let bound = try await store.units(pool: "units").filter { $0.mac != nil }
        #expect(Set(bound.map(\.unit.id)) == Set(withUnit.map { $0.unit! }), "every binding is in a record, every record's unit is bound")
        let lostPorts = Set(all.compactMap { if case .databaseUnavailable(let port, _, _) = $0 { port } else { nil } })
        let backPorts = Set(all.compactMap { if case .databaseBack(let port, _) = $0 { port } else { nil } })
        #expect(!lostPorts.isEmpty && lostPorts == backPorts, "ports that lost the database say so, and say when it is back")
        #expect(all.contains { if case .recordKept = $0 { true } else { false } }, "some record waited in the journal")
        #expect(records.contains { $0.reason == "database_unavailable" } || records.allSatisfy { $0.result == .passed })
        #expect(!FileManager.default.fileExists(atPath: directory + "/journal.ndjson"))
        #expect(try await store.inFlight(stationID: nil).isEmpty)
    }
}
