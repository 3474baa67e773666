import SerialBootloader
import Testing
import TestSupport

/// Byte-level examples from shared/reference/esptool.md §1.5 and §7.3.
@Suite struct PacketTests {
    static let syncPayload = LoaderRequest.syncPayload

    @Test func syncRequestIs46BytesOnTheWire() {
        let packet = CommandPacket(.sync, data: Self.syncPayload)
        let wire = SLIP.encode(packet.bytes)
        #expect(wire.count == 46)
        #expect(Array(wire.prefix(12)) == [0xC0, 0x00, 0x08, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x07, 0x12])
        #expect(wire.last == 0xC0)
    }

    @Test func romSyncReplyCarriesValueAndFourStatusBytes() throws {
        let frame: [UInt8] = [0x01, 0x08, 0x04, 0x00, 0x07, 0x07, 0x12, 0x20, 0x00, 0x00, 0x00, 0x00]
        let reply = try #require(ResponsePacket(frame: frame))
        #expect(reply.opcode == Opcode.sync.rawValue)
        #expect(reply.value == 0x2012_0707)
        #expect(reply.status().failed == false)
    }

    @Test func flashBeginOfSixteenBytesOnESP32C3() {
        // FLASH_BEGIN [0x10, 1, 0x400, 0x20000, 0]
        var words: [UInt8] = []
        for w: UInt32 in [0x10, 1, 0x400, 0x20000, 0] { words += [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(w >> 24)] }
        let bytes = CommandPacket(.flashBegin, data: words).bytes
        #expect(bytes == [0x00, 0x02, 0x14, 0x00, 0, 0, 0, 0,
                          0x10, 0, 0, 0, 0x01, 0, 0, 0, 0x00, 0x04, 0, 0, 0x00, 0x00, 0x02, 0x00, 0, 0, 0, 0])
    }

    @Test func flashDataChecksumCoversOnlyTheData() {
        // A 16-byte file starting C0 DB whose bytes XOR to 0x14, padded to the 1 KB ROM block with FF:
        // checksum 0xFB, header 00 03 1004 fb000000 …, 1052 bytes on the wire (two escapes).
        var file: [UInt8] = [0xC0, 0xDB] + Array(repeating: 0, count: 14)
        file[15] = 0x14 ^ 0xC0 ^ 0xDB
        let block = file + Array(repeating: 0xFF, count: 1024 - 16)
        let checksum = CommandPacket.checksum(of: block)
        #expect(checksum == 0xFB)
        var data: [UInt8] = [0x00, 0x04, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0]
        data += block
        let packet = CommandPacket(.flashData, data: data, checksum: checksum)
        #expect(Array(packet.bytes.prefix(8)) == [0x00, 0x03, 0x10, 0x04, 0xFB, 0x00, 0x00, 0x00])
        #expect(SLIP.encode(packet.bytes).count == 1052)
    }

    @Test func statusIsReadAfterTheExpectedPayload() throws {
        // An MD5 reply: 32 hex characters, then 4 status bytes.
        let hex = Array("d41d8cd98f00b204e9800998ecf8427e".utf8)
        let reply = ResponsePacket(opcode: Opcode.spiFlashMD5.rawValue, data: hex + [0, 0, 0, 0])
        let parsed = try #require(ResponsePacket(frame: reply.bytes))
        #expect(parsed.status(payloadLength: 32).failed == false)
        #expect(parsed.payload(length: 32) == hex)
        let failed = ResponsePacket(opcode: Opcode.flashData.rawValue, data: [1, RomError.badChecksum.rawValue, 0, 0])
        #expect(failed.status().failed && failed.status().error == 0x07)
        #expect(RomError(rawValue: 0x07)?.description == "checksum error")
    }

    @Test func requestsParseBack() throws {
        let packet = CommandPacket(.readReg, data: [0x00, 0x10, 0x00, 0x40])
        let parsed = try #require(CommandPacket(frame: packet.bytes))
        #expect(parsed.opcode == 0x0A && parsed.data == [0x00, 0x10, 0x00, 0x40] && parsed.declaredSize == 4)
        #expect(CommandPacket(frame: [0x01, 0x0A, 0, 0, 0, 0, 0, 0]) == nil)
    }
}

@Suite struct LoaderRequestTests {
    static let requests: [LoaderRequest] = [
        .sync,
        .flashBegin(.init(size: 0x3E50, blockCount: 0x10, blockSize: 0x400, offset: 0, encrypted: 0)),
        .flashBegin(.init(size: 0x4050, blockCount: 0x11, blockSize: 0x400, offset: 0x1000)),
        .flashDeflBegin(.init(size: 0x30400, blockCount: 2, blockSize: 0x400, offset: 0x10000, encrypted: 0)),
        .flashData(.init(sequence: 3, payload: [0xC0, 0xDB, 1, 2])),
        .flashDeflData(.init(sequence: 0, payload: Array(0...255))),
        .memData(.init(sequence: 1, payload: [9, 9])),
        .flashEnd(runUserCode: true), .flashDeflEnd(runUserCode: false),
        .memBegin(.init(totalSize: 0x16F8, blockCount: 1, blockSize: 0x1800, address: 0x4038_0000)),
        .memEnd(.init(entry: 0x4038_0E9A)),
        .writeRegister([.init(address: 0x6000_2000, value: 1 << 18), .init(address: 0x6000_0078, value: 0, mask: 0, delayMicroseconds: 2000)]),
        .readRegister(address: 0x4000_1000),
        .spiSetParameters(.init(totalSize: 4 << 20)),
        .spiAttach(configuration: 0, romPadding: true), .spiAttach(configuration: 0, romPadding: false),
        .readFlashSlow(offset: 0x1000, length: 64),
        .changeBaudRate(newBaudRate: 921_600, oldBaudRate: 0),
        .spiFlashMD5(offset: 0x10000, size: 196_688),
        .getSecurityInfo, .eraseFlash, .eraseRegion(offset: 0x20000, size: 0x3000),
        .readFlash(offset: 0, length: 0x1000, packetSize: 0x1000, maxInFlight: 64), .runUserCode,
    ]

    @Test(arguments: requests)
    func encodeDecodeRoundTrip(_ request: LoaderRequest) throws {
        let packet = request.packet
        #expect(packet.opcode == request.opcode.rawValue)
        let received = try #require(CommandPacket(frame: packet.bytes))
        #expect(try LoaderRequest(packet: received) == request)
    }

    @Test func traceWordsMatchEsptool() {
        // SPI_SET_PARAMS [0, 4194304, 65536, 4096, 256, 65535] as in the §7.3 trace.
        #expect(LoaderRequest.spiSetParameters(.init(totalSize: 4_194_304)).packet.data
                == RawHost.words([0, 4_194_304, 65536, 4096, 256, 65535]))
        #expect(LoaderRequest.spiAttach(configuration: 0, romPadding: true).packet.data == [UInt8](repeating: 0, count: 8))
    }

    @Test func malformedRequestsCarryTheRomsErrorByte() {
        var bad = LoaderRequest.flashData(.init(sequence: 0, payload: [1, 2, 3])).packet
        bad.checksum ^= 0xFF
        #expect(throws: LoaderRequest.DecodeError(opcode: 0x03, romError: .badChecksum)) { try LoaderRequest(packet: bad) }
        #expect(throws: LoaderRequest.DecodeError(opcode: 0x0A, romError: .invalidMessage)) {
            try LoaderRequest(packet: CommandPacket(.readReg, data: [1, 2]))
        }
        #expect(throws: LoaderRequest.DecodeError(opcode: 0x77, romError: .invalidMessage)) { try LoaderRequest(packet: CommandPacket(opcode: 0x77)) }
    }

    @Test func securityInfoLayouts() throws {
        let info = SecurityInfo(flags: 1 << 2, flashCryptCount: 0b0000_0111, chipID: 9, ecoVersion: 2)
        #expect(info.bytes.count == 20)
        let parsed = try #require(SecurityInfo(bytes: info.bytes))
        #expect(parsed == info && parsed.secureDownloadMode && parsed.flashEncryptionEnabled && !parsed.secureBootEnabled)
        let s2 = try #require(SecurityInfo(bytes: Array(info.bytes.prefix(12))))
        #expect(s2.chipID == nil)
        #expect(SecurityInfo(bytes: [1, 2, 3]) == nil)
    }
}
