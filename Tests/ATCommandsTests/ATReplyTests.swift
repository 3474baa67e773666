import ATCommands
import Testing

/// Parsing the replies of the commands this module types, in the forms of the v1.2 command set and of the v2.x /
/// v3.x documentation (examples from esp-at's docs and from modules' output quoted in its issues).
@Suite struct ATReplyTests {
    func response(_ lines: [String], payload: [UInt8]? = nil) -> ATResponse { ATResponse(status: .ok, lines: lines, payload: payload) }

    @Test func versionV1AndV2() throws {
        let v1 = try AT.version.parse(response(["AT version:1.2.0.0(Jul  1 2019 20:36:30)", "SDK version:v3.2-dev-1148-gddbce78b",
                                                 "compile time:Jul  1 2019 20:38:33"]))
        #expect(v1.atVersion == "1.2.0.0")
        #expect(v1.sdkVersion == "v3.2-dev-1148-gddbce78b")
        #expect(v1.compileTime == "Jul  1 2019 20:38:33")
        #expect(v1.compileCommit == nil)
        #expect(v1.binVersion == nil)
        let v2 = try AT.version.parse(response(["AT version:2.0.0.0(e44648c - Nov  4 2019 02:18:57)", "SDK version:v3.3-dirty",
                                                 "compile time(7cac7ad):Jan 27 2020 12:29:14", "Bin version:2.0.1(WROOM-32)"]))
        #expect(v2.atVersion == "2.0.0.0")
        #expect(v2.atVersionText == "2.0.0.0(e44648c - Nov  4 2019 02:18:57)")
        #expect(v2.compileCommit == "7cac7ad")
        #expect(v2.compileTime == "Jan 27 2020 12:29:14")
        #expect(v2.binVersion == "2.0.1")
        #expect(v2.moduleName == "WROOM-32")
        #expect(v2.matches("2.0.0.0") && v2.matches("2.0.1") && !v2.matches("2.0"))
        #expect(throws: ATError.self) { try AT.version.parse(self.response(["SDK version:v4.3"])) }
    }

    @Test func partitionList() throws {
        let list = try AT.partitions.parse(response(["+SYSFLASH:\"ble_data\",64,1,0x21000,0x3000", "+SYSFLASH:\"fatfs\",1,129,0x70000,0x90000",
                                                     "+SYSFLASH:mqtt_ca,64,14,241664,8192"]))
        #expect(list == [ATPartition(name: "ble_data", type: 64, subtype: 1, address: 0x21000, size: 0x3000),
                         ATPartition(name: "fatfs", type: 1, subtype: 129, address: 0x70000, size: 0x90000),
                         ATPartition(name: "mqtt_ca", type: 64, subtype: 14, address: 0x3B000, size: 0x2000)])
        #expect(list[0].line == "+SYSFLASH:\"ble_data\",64,1,0x21000,0x3000")
        #expect(throws: ATError.self) { try AT.partitions.parse(self.response(["+SYSFLASH:\"x\",64,1"])) }
    }

    @Test func uartMACRAMAndRFPower() throws {
        #expect(try AT.uart(.current).parse(response(["+UART_CUR:115201,8,1,0,1"])) == ATUARTConfig(baudRate: 115_201, flowControl: 1))
        #expect(try AT.uart(.saved).parse(response(["+UART_DEF:921600,8,3,2,3"])) == ATUARTConfig(baudRate: 921_600, stopBits: 3, parity: 2, flowControl: 3))
        #expect(try AT.stationMAC.parse(response(["+CIPSTAMAC:\"24:0a:c4:5e:00:01\""])) == [0x24, 0x0A, 0xC4, 0x5E, 0x00, 0x01])
        #expect(try AT.stationMAC.parse(response(["+CIPSTAMAC:1a:fe:35:98:d3:7b"])) == [0x1A, 0xFE, 0x35, 0x98, 0xD3, 0x7B])
        #expect(try AT.ram.parse(response(["+SYSRAM:148408"])) == ATRAMStatus(free: 148_408, minimumFree: nil))
        #expect(try AT.ram.parse(response(["+SYSRAM:148408,84044"])) == ATRAMStatus(free: 148_408, minimumFree: 84_044))
        #expect(try AT.rfPower.parse(response(["+RFPOWER:78,5,5,5"])) == ATRFPower(wifi: 78, bleAdvertising: 5, bleScanning: 5, bleConnection: 5))
        #expect(try AT.rfPower.parse(response(["+RFPOWER:60"])) == ATRFPower(wifi: 60))
        #expect(throws: ATError.self) { try AT.rfPower.parse(self.response(["+RFPOWER:60,1"])) }
    }

    @Test func sysFlashAndFileSystemRequests() throws {
        #expect(SysFlash.Erase(wholePartition: "ble_data", size: 0x3000).commandLine == "AT+SYSFLASH=0,\"ble_data\"")
        #expect(SysFlash.Erase(partition: "ble_data", offset: 4096, length: 8192).commandLine == "AT+SYSFLASH=0,\"ble_data\",4096,8192")
        #expect(SysFlash.Write(partition: "a\"b,c", offset: 100, bytes: [1, 2]).commandLine == "AT+SYSFLASH=1,\"a\\\"b\\,c\",100,2")
        let read = SysFlash.Read(partition: "ble_data", offset: 0, length: 3)
        #expect(try read.parse(response([], payload: [1, 2, 3])) == [1, 2, 3])
        #expect(throws: ATError.self) { try read.parse(self.response([], payload: [1, 2])) }
        #expect(try FileSystem.Size("f").parse(response(["+FS:1234"])) == 1234)
        #expect(try FileSystem.List().parse(response(["+FS:", ".", "..", "a.txt"])) == [".", "..", "a.txt"])
        #expect(try FileSystem.Read("f", offset: 0, length: 10).parse(response([], payload: [9, 9])) == [9, 9])
        #expect(FileSystem.Write("f", offset: 100, bytes: [0]).commandLine == "AT+FS=0,1,\"f\",100,1")
    }

    @Test func framerEvents() {
        var framer = ATFramer(payloadPrefix: "+SYSFLASH")
        framer.promptExpected = true
        let events = framer.feed("\r\nready\r\n+SYSFLASH:4,OK\r\n\r\n+IPD,0,3,\"fe80::1\",80:abc>\r\n>".bytes)
        #expect(events == [.line("ready"), .payload(prefix: "+SYSFLASH", bytes: "OK\r\n".bytes),
                           .networkData(header: "+IPD,0,3,\"fe80::1\",80", bytes: "abc".bytes), .prompt, .prompt])
        var cut = ATFramer()
        #expect(cut.feed("O".bytes).isEmpty && cut.isMidEvent)
        #expect(cut.feed("K\r\n".bytes) == [.line("OK")])
    }

    @Test func exchangeClassification() {
        var exchange = ATExchange(commandLine: "AT+GMR", echo: .unknown)
        #expect(exchange.handle(.line("AT+GMR")) == .consumed)
        #expect(exchange.handle(.line("WIFI GOT IP")) == .unsolicited("WIFI GOT IP"))
        #expect(exchange.handle(.line("+CWJAP:\"x\"")) == .unsolicited("+CWJAP:\"x\""))
        #expect(exchange.handle(.line("AT version:2.4.0.0")) == .consumed)
        #expect(exchange.handle(.line("ERR CODE:0x010b0000")) == .consumed)
        #expect(exchange.handle(.line("busy p...")) == .finished(ATResponse(status: .busy, lines: ["AT version:2.4.0.0"], errorCode: 0x010B_0000)))
        var cme = ATExchange(commandLine: "AT+X", echo: .off)
        #expect(cme.handle(.line("+CME ERROR: 10")) == .finished(ATResponse(status: .error, errorCode: 10)))
    }
}
