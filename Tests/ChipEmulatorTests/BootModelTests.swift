import ChipEmulator
import Foundation
import ImageFormats
import TestSupport
import Testing

/// The boot model (what the chip starts from its flash) and the emulated AT firmware's AT+SYSFLASH rules.
@Suite struct BootModelTests {
    static func fixture(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: packageRoot.appendingPathComponent("Fixtures").appendingPathComponent(path)))
    }

    static func table(_ rows: [PartitionEntry], md5: Bool) throws -> [UInt8] { try PartitionTable(entries: rows).encoded(md5: md5) }

    /// An ESP32 flash with bootloader, main table (otadata, at_customize, ota_0/ota_1), at_customize.bin and
    /// factory_param, and `app` in ota_0.
    static func esp32Flash(app: [UInt8], factoryParam: [UInt8]? = nil) throws -> [UInt8] {
        var flash = [UInt8](repeating: 0xFF, count: 4 << 20)
        func put(_ bytes: [UInt8], _ at: Int) { flash.replaceSubrange(at..<(at + bytes.count), with: bytes) }
        put(try fixture("images/bootloader_esp32.bin"), 0x1000)
        put(try table([PartitionEntry(name: "otadata", type: 1, subtype: 0, offset: 0x10000, size: 0x2000),
                       PartitionEntry(name: "at_customize", type: 0x40, subtype: 0, offset: 0x20000, size: 0xE0000),
                       PartitionEntry(name: "ota_0", type: 0, subtype: 0x10, offset: 0x100000, size: 0x180000),
                       PartitionEntry(name: "ota_1", type: 0, subtype: 0x11, offset: 0x280000, size: 0x180000)], md5: false), 0x8000)
        put(try table([PartitionEntry(name: "ble_data", type: 0x40, subtype: 1, offset: 0x21000, size: 0x3000),
                       PartitionEntry(name: "factory_param", type: 0x40, subtype: 8, offset: 0x30000, size: 0x1000)], md5: true), 0x20000)
        if let factoryParam { put(factoryParam, 0x30000) }
        put(app, 0x100000)
        return flash
    }

    static let app = TestAppImage.build(chip: .esp32, version: "v9.8.7", idfVersion: "v4.3.2")

    @Test func bootsTheAppAndReadsTheLayout() throws {
        let result = BootModel.boot(flash: try Self.esp32Flash(app: Self.app), chip: .esp32)
        guard case .app(let booted) = result.outcome else { Issue.record("did not boot: \(result.log)"); return }
        #expect(booted.partition.name == "ota_0")
        #expect(booted.description?.version == "v9.8.7")
        #expect(booted.atLayout?.tableOffset == 0x20000)
        #expect(booted.atLayout?.partitions.map(\.name) == ["ble_data", "factory_param"])
        #expect(result.log.hasPrefix("ets Jun  8 2016 00:22:57\r\n"))
        #expect(result.log.contains("load:0x"))
        #expect(result.log.contains("Loaded app from partition at offset 0x100000"))
    }

    @Test func otadataSelectsTheSecondSlot() throws {
        var flash = try Self.esp32Flash(app: Self.app)
        flash.replaceSubrange(0x280000..<(0x280000 + Self.app.count), with: Self.app)
        // ota_seq 2 with its CRC (esp_rom_crc32_le(UINT32_MAX, &seq, 4)) → (2 - 1) % 2 = slot 1.
        let seq: [UInt8] = [2, 0, 0, 0]
        let crc = NVSChecksum.checksum(seq)
        flash.replaceSubrange(0x10000..<0x10004, with: seq)
        flash.replaceSubrange(0x1001C..<0x10020, with: [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)])
        guard case .app(let booted) = BootModel.boot(flash: flash, chip: .esp32).outcome else { Issue.record("no boot"); return }
        #expect(booted.partition.name == "ota_1")
    }

    @Test func invalidImagesBootLoop() throws {
        // An ESP32-S2 app on an ESP32, a blank app slot, a corrupted checksum, a blank chip.
        let s2 = try Self.fixture("images/esp_idf_blink_esp32s2.bin")
        var corrupt = Self.app
        corrupt[40] ^= 0xFF
        let cases: [([UInt8], String)] = [
            (try Self.esp32Flash(app: s2), "chip id"),
            (try Self.esp32Flash(app: []), "invalid magic"),
            (try Self.esp32Flash(app: corrupt), "checksum"),
            ([UInt8](repeating: 0xFF, count: 4 << 20), "no valid bootloader"),
        ]
        for (flash, reason) in cases {
            let result = BootModel.boot(flash: flash, chip: .esp32)
            guard case .bootLoop(let why) = result.outcome else { Issue.record("booted, expected \(reason)"); continue }
            #expect(why.contains(reason), "\(why)")
        }
    }

    /// AT+SYSFLASH: 4 KB erase alignment, the `>` prompt, ERROR out of range, writes land in the chip's flash.
    @Test func sysFlashRules() throws {
        let device = EmulatedDevice(profile: RomProfile.profile(for: .esp32)!, flashContents: try Self.esp32Flash(app: Self.app))
        let module = EmulatedModule(device: device)
        #expect(module.bootOutputOnATUART == Array("\r\nready\r\n".utf8))
        func send(_ text: String) -> String {
            String(decoding: module.receiveAT(Array(text.utf8)).flatMap(\.bytes), as: UTF8.self)
        }
        #expect(send("ATE0\r\n").hasSuffix("\r\nOK\r\n"))
        #expect(send("AT+SYSFLASH?\r\n") == "+SYSFLASH:\"ble_data\",64,1,0x21000,0x3000\r\n+SYSFLASH:\"factory_param\",64,8,0x30000,0x1000\r\n\r\nOK\r\n")
        #expect(send("AT+SYSFLASH=0,\"ble_data\",100,4096\r\n") == "\r\nERROR\r\n")
        #expect(send("AT+SYSFLASH=0,\"ble_data\",4096,8192\r\n") == "\r\nOK\r\n")
        #expect(send("AT+SYSFLASH=0,\"ble_data\",8192,8192\r\n") == "\r\nERROR\r\n")
        #expect(send("AT+SYSFLASH=2,\"ble_data\",12287,2\r\n") == "\r\nERROR\r\n")
        #expect(send("AT+SYSFLASH=2,\"nope\",0,1\r\n") == "\r\nERROR\r\n")
        #expect(send("AT+SYSFLASH=1,\"ble_data\",4096,4\r\n") == "\r\n>")
        #expect(send("OK\r\n") == "\r\nOK\r\n")
        #expect(Array(device.flash.read(0x22000, 4)) == Array("OK\r\n".utf8))
        #expect(send("AT+SYSFLASH=2,\"ble_data\",4096,4\r\n") == "+SYSFLASH:4,OK\r\n\r\n\r\nOK\r\n")
        #expect(send("AT+SYSLOG=1\r\n") == "\r\nOK\r\n")
        #expect(send("AT+NOPE\r\n") == "ERR CODE:0x01090000\r\n\r\nERROR\r\n")
        #expect(send("AT+GMR\r\n").hasPrefix("AT version:v9.8.7("))
        // AT+RST boots again from the flash as it is now.
        #expect(send("AT+RST\r\n") == "\r\nOK\r\n\r\nready\r\n")
        #expect(module.boots == 2)
    }

    @Test func factoryParamSetsTheATUART() throws {
        var param = [UInt8](repeating: 0xFF, count: 4096)
        param.replaceSubrange(0..<24, with: [0xFC, 0xFC, 3, 0, 78, 1, 1, 13, 0x43, 0x4E, 0, 0, 0x00, 0x10, 0x0E, 0x00, 17, 16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        let device = EmulatedDevice(profile: RomProfile.profile(for: .esp32)!, flashContents: try Self.esp32Flash(app: Self.app, factoryParam: param))
        let module = EmulatedModule(device: device)
        #expect(module.atBaudRate == 921_600)
        #expect(module.firmware?.uartPort == 1)
        let link = ATLinkSession(module: module)
        var heard: [UInt8] = []
        _ = link.receive(Array("AT\r\n".utf8), lineBaud: 115_200) { heard += $0; return true }
        #expect(!heard.contains(UInt8(ascii: "O")), "at the wrong rate nothing is understood")
        heard = []
        // (80 MHz × 16 / 921600 = 1388 → 922190 baud.) The garbage is still in the firmware's line buffer: the line it ends in is an ERROR, the next one runs.
        _ = link.receive(Array("\r\nAT+UART_CUR?\r\n".utf8), lineBaud: 921_600) { heard += $0; return true }
        let text = String(decoding: heard, as: UTF8.self)
        #expect(text.contains("\r\nERROR\r\n"))
        #expect(text.contains("+UART_CUR:922190,8,1,0,1"))
    }
}
