import ChipEmulator
import Foundation
import ImageFormats
import SerialBootloader
import Station
import Synchronization
import TestSupport
import Testing

/// A fixed port (not a line): the chip there stays until someone swaps it, as on a jig.
final class JigOpener: PortOpener, @unchecked Sendable {
    private struct Box: @unchecked Sendable { let device: EmulatedDevice }
    private let current: Mutex<Box>

    init(mac: [UInt8]) { current = Mutex(Box(device: Self.device(mac))) }

    static func device(_ mac: [UInt8]) -> EmulatedDevice {
        EmulatedDevice(profile: RomProfile.profile(for: .esp32)!, flashSize: 1 << 20, mac: mac)
    }

    func swap(to mac: [UInt8]) { current.withLock { $0 = Box(device: Self.device(mac)) } }

    func open(_ address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport {
        InProcessTransport(session: EmulatorSession(device: current.withLock { $0.device }), portName: address.description)
    }

    func open(_ address: PortAddress, baudRate: Int, role: PortRole) throws(TransportError) -> any Transport {
        guard role == .atCommands else { return try open(address, baudRate: baudRate) }
        let module = EmulatedModule(device: current.withLock { $0.device })
        return ATUARTTransport(session: ATLinkSession(module: module), portName: address.description, baudRate: baudRate,
                               bootOutput: module.bootOutputOnATUART)
    }
}

@Suite("Station on a fixed port")
struct PresenceTests {
    @Test("after a module is done the port waits until another module (another MAC) is there")
    func waitsForTheNextModule() async throws {
        let directory = try LineStationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recipe = try StationFixture.write(to: directory, units: 4, ports: ["virtual://esp32"])
        let plan = try LineStationTests.plan(recipe, directory: directory)
        let store = try SQLiteStationStore(path: directory + "/station.db")
        let opener = JigOpener(mac: [0x24, 0x0A, 0xC4, 0, 0, 1])
        var configuration = StationConfiguration(plan: plan, ports: [try StationPort(path: "virtual://esp32", atPath: nil)], store: store,
                                                 opener: opener, stationID: "jig", operatorName: "tester", moduleLimit: 2)
        configuration.presencePoll = 0.05
        let waits = Mutex<[String]>([])
        let run = Task {
            try await StationRunner(configuration).run(cancellation: CancellationFlag()) { event in
                if case .waiting(_, let reason) = event { waits.withLock { $0.append(reason) } }
            }
        }
        // The first module is flashed; the station then asks for it to be taken away and flashes nothing else.
        let deadline = Date().addingTimeInterval(240)  // generous: CI runs every suite at once on two cores
        while Date() < deadline, !waits.withLock({ $0.contains { $0.hasPrefix("remove the module 24:0a:c4:00:00:01") } }) {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        try #require(waits.withLock { $0.contains { $0.hasPrefix("remove the module 24:0a:c4:00:00:01") } })
        try await Task.sleep(nanoseconds: 200_000_000)
        #expect(try await store.records(RecordQuery()).count == 1)
        opener.swap(to: [0x24, 0x0A, 0xC4, 0, 0, 2])
        let totals = try await run.value
        let records = try await store.records(RecordQuery())
        #expect(totals.passed == 2 && records.map(\.mac) == ["24:0a:c4:00:00:01", "24:0a:c4:00:00:02"])
        #expect(records.map(\.unit) == [StationFixture.serial(0), StationFixture.serial(1)])
    }
}
