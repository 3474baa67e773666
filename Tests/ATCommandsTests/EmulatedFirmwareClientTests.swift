import ATCommands
import ChipEmulator
import Foundation
import ImageFormats
import SerialBootloader
import TestSupport
import Testing

/// The client against the emulated firmware in process, in both output forms: an app built with ESP-IDF v3.2
/// answers as esp-at v1.2 did, one built with v4.3 as v2.x does; the same typed requests read both.
@Suite struct EmulatedFirmwareClientTests {
    static func module(idf: String) throws -> ATClient {
        var flash = [UInt8](repeating: 0xFF, count: 4 << 20)
        func put(_ bytes: [UInt8], _ at: Int) { flash.replaceSubrange(at..<(at + bytes.count), with: bytes) }
        put(Array(try Data(contentsOf: packageRoot.appendingPathComponent("Fixtures/images/bootloader_esp32.bin"))), 0x1000)
        put(try PartitionTable(entries: [PartitionEntry(name: "at_customize", type: 0x40, subtype: 0, offset: 0x20000, size: 0xE0000),
                                         PartitionEntry(name: "factory", type: 0, subtype: 0, offset: 0x100000, size: 0x100000)]).encoded(md5: false), 0x8000)
        put(try PartitionTable(entries: [PartitionEntry(name: "ble_data", type: 0x40, subtype: 1, offset: 0x21000, size: 0x3000)]).encoded(), 0x20000)
        put(TestAppImage.build(chip: .esp32, version: "v1.2.0.0", idfVersion: idf), 0x100000)
        let device = EmulatedDevice(profile: RomProfile.profile(for: .esp32)!, flashContents: flash)
        let module = EmulatedModule(device: device)
        let transport = ATUARTTransport(session: ATLinkSession(module: module), portName: "test", baudRate: 115_200,
                                        bootOutput: module.bootOutputOnATUART)
        return ATClient(transport: transport)
    }

    @Test func v1FormsFromAnIDF32App() throws {
        let client = try Self.module(idf: "v3.2-dev-1148-gddbce78b")
        try client.send(AT.test)
        let version = try client.send(AT.version)
        #expect(version.lines.count == 3)
        #expect(version.atVersion == "v1.2.0.0")
        #expect(version.binVersion == nil)
        #expect(version.compileTime == "May 20 2022 03:12:44")
        #expect(try client.send(AT.ram).minimumFree == nil)
        #expect(try client.send(AT.partitions).map(\.name) == ["ble_data"])
        #expect(client.unsolicited == ["ready"])
    }

    @Test func v2FormsAndSysFlashRoundTrip() throws {
        let client = try Self.module(idf: "v4.3.2")
        try client.send(AT.echo(false))
        let version = try client.send(AT.version)
        #expect(version.binVersion == "v1.2.0.0")
        #expect(version.moduleName == "unknown")
        #expect(try client.send(AT.ram).minimumFree != nil)
        #expect(try client.send(AT.rfPower) == ATRFPower(wifi: 78, bleAdvertising: 5, bleScanning: 5, bleConnection: 5))
        #expect(try client.send(AT.uart(.current)) == ATUARTConfig(baudRate: 115_201, flowControl: 1))
        let jobs = ATPartitionJobs(client: client)
        let ble = try jobs.partition(named: "ble_data", in: try jobs.list())
        let data = Array("\r\nOK\r\nERROR\r\n>".utf8) + (0..<5000).map { UInt8($0 & 0xFF) }
        try jobs.write(try ATWritePlan(partition: ble, offset: 10, length: data.count), bytes: data)
        #expect(try jobs.read(ble, offset: 10, length: data.count) == data)
        #expect(throws: ATRefusal.self) { try ATWritePlan(partition: ble, offset: 0x2000, length: 0x1001) }
        #expect(throws: ATRefusal.self) { try ATPartitionJobs.eraseRange(ble, offset: 0x800, length: 0x1000) }
        // AT+FS: no filesystem is modelled, so the firmware answers ERROR, which the typed request reports.
        #expect(throws: ATError.self) { try client.send(FileSystem.List()) }
    }
}
