import ImageFormats
import ChipEmulator
import SerialBootloader
import Testing
import TestSupport


@Suite struct EmulatedDeviceTests {
    @Test(arguments: RomProfile.emulatedChips)
    func syncIsAnsweredEightTimes(_ chip: Chip) {
        let host = RawHost(chip)
        let replies = host.send(.sync, LoaderRequest.syncPayload)
        #expect(replies.count == 8)
        #expect(replies.allSatisfy { $0.value == EmulatedDevice.syncValue && $0.data == [0, 0, 0, 0] })
    }

    @Test func writingWithoutEraseANDsBits() {
        let host = RawHost(.esp32c3)
        #expect(host.begin(size: 0x1000, offset: 0x10000).first?.status().failed == false)
        #expect(host.dataBlock([0xF0, 0x0F, 0xAA, 0xFF]).first?.status().failed == false)
        // A second data block lands at the next position; a fresh BEGIN of size 0 erases nothing, so writing
        // over the same bytes again can only clear more bits.
        #expect(host.begin(size: 0, blocks: 0, offset: 0x10000).first?.status().failed == false)
        #expect(host.dataBlock([0x3C, 0xFF, 0x55, 0x0F]).first?.status().failed == false)
        #expect(Array(host.device.flash.read(0x10000, 5)) == [0x30, 0x0F, 0x00, 0x0F, 0xFF])
    }

    @Test func beginErasesExactlyTheCoveredSectors() {
        let host = RawHost(.esp32s3)
        host.device.tamper(with: [UInt8](repeating: 0, count: 0x5000), at: 0x20000)
        // 0x1001 bytes from 0x21000 touch sectors 0x21000 and 0x22000 only.
        #expect(host.begin(size: 0x1001, blocks: 0, offset: 0x21000).first?.status().failed == false)
        let f = host.device.flash
        #expect(f.read(0x20000, 0x1000).allSatisfy { $0 == 0 })
        #expect(f.read(0x21000, 0x2000).allSatisfy { $0 == 0xFF })
        #expect(f.read(0x23000, 0x2000).allSatisfy { $0 == 0 })
    }

    @Test(arguments: RomProfile.emulatedChips)
    func writesPastTwoMegabytesFailUntilSPISetParams(_ chip: Chip) {
        let host = RawHost(chip)
        #expect(RawHost.outcome(host.begin(size: 0x1000, offset: 0x200000)) == RawHost.failure(.failedToAct))
        #expect(host.ok(.spiSetParams, RawHost.words([0, 4 << 20, 0x10000, 0x1000, 0x100, 0xFFFF])))
        #expect(host.begin(size: 0x1000, offset: 0x200000).first?.status().failed == false)
    }

    @Test func esp32TakesFourWordBeginAndLacksSecurityInfo() {
        let esp32 = RawHost(.esp32)
        #expect(RawHost.outcome(esp32.send(.flashBegin, RawHost.words([0x1000, 4, 0x400, 0x1000, 0]))) == RawHost.failure(.invalidMessage))
        #expect(esp32.send(.flashBegin, RawHost.words([0x1000, 4, 0x400, 0x1000])).first?.status().failed == false)
        let unsupported = esp32.send(.getSecurityInfo)
        #expect(unsupported.count == 8)
        #expect(unsupported.allSatisfy { $0.opcode != Opcode.getSecurityInfo.rawValue && $0.data.prefix(2) == [1, 5] })
        #expect(esp32.send(.readReg, RawHost.words([0x4000_1000])).first?.value == 0x00F0_1D83)

        let c3 = RawHost(.esp32c3)
        let info = c3.send(.getSecurityInfo)
        #expect(info.count == 1 && info[0].data.count == 24)
        #expect(info[0].data[12] == 5)  // chip id of the ESP32-C3
    }

    @Test func md5IsThirtyTwoHexCharacters() {
        let host = RawHost(.esp32)
        #expect(host.md5(0, 0) == "d41d8cd98f00b204e9800998ecf8427e")
        // 4 KB of erased flash.
        #expect(host.md5(0x1000, 0x1000) == "6ae59e64850377ee5470c854761551ea")
    }

    @Test func badChecksumIsRefusedAndNothingIsWritten() {
        let host = RawHost(.esp32c3)
        _ = host.begin(size: 0x400, offset: 0x8000)
        let payload = [UInt8](repeating: 0x12, count: 0x400)
        let reply = host.send(.flashData, RawHost.words([0x400, 0, 0, 0]) + payload, checksum: CommandPacket.checksum(of: payload) ^ 1)
        #expect(RawHost.outcome(reply) == RawHost.failure(.badChecksum))
        #expect(host.device.flash.read(0x8000, 0x400).allSatisfy { $0 == 0xFF })
    }

    @Test func compressedWritesInflateAcrossBlocksAndRepeatsAreNotDeduplicated() throws {
        let host = RawHost(.esp32c3)
        let image = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }
        let packed = try Deflate.compress(image)
        let blocks = stride(from: 0, to: packed.count, by: 0x400).map { Array(packed[$0..<min($0 + 0x400, packed.count)]) }
        #expect(host.begin(.flashDeflBegin, size: UInt32((image.count + 0x3FF) / 0x400 * 0x400), blocks: UInt32(blocks.count), offset: 0x10000)
            .first?.status().failed == false)
        for (seq, block) in blocks.enumerated() {
            #expect(host.dataBlock(block, opcode: .flashDeflData, seq: UInt32(seq)).first?.status().failed == false)
        }
        #expect(Array(host.device.flash.read(0x10000, image.count)) == image)
        // Sending the last block again is not ignored: the inflater sees data past its stream end.
        #expect(RawHost.outcome(host.dataBlock(blocks.last!, opcode: .flashDeflData, seq: UInt32(blocks.count - 1))) == RawHost.failure(.deflateError))
    }

    @Test func readFlashSlowAlwaysReturns64Bytes() {
        let host = RawHost(.esp32)
        host.device.tamper(with: Array(0..<100), at: 0x3000)
        let r = host.send(.readFlashSlow, RawHost.words([0x3000, 8]))
        #expect(r.first?.data.count == 68)
        #expect(Array(r.first!.data.prefix(8)) == Array(0..<8))
    }

    @Test(arguments: [(Chip.esp32, "24:0a:c4:5e:00:01"), (.esp32s3, "24:0a:c4:5e:00:02"), (.esp32c3, "24:0a:c4:5e:00:03")])
    func macWordsDecodeAsEsptoolDoes(_ chip: Chip, _ expected: String) {
        let host = RawHost(chip)
        let p = host.device.profile
        let low = host.send(.readReg, RawHost.words([p.loader.macWords.low])).first!.value
        let high = host.send(.readReg, RawHost.words([p.loader.macWords.high])).first!.value
        let bytes = [UInt8(high >> 8 & 0xFF), UInt8(high & 0xFF), UInt8(low >> 24), UInt8(low >> 16 & 0xFF), UInt8(low >> 8 & 0xFF), UInt8(low & 0xFF)]
        #expect(bytes.map { b in let s = String(b, radix: 16); return s.count == 1 ? "0" + s : s }.joined(separator: ":") == expected)
    }

    @Test("the emulator's magic value is one the chip table knows", arguments: RomProfile.emulatedChips)
    func magicValueIsInTheChipTable(_ chip: Chip) {
        let profile = RomProfile.profile(for: chip)!
        #expect(chip.loader?.magicValues.contains(profile.magicValue) == true)
        #expect(Chip.withMagicValue(profile.magicValue) == chip)
    }

    @Test func unknownOpcodesGetTheRomsUnsupportedAnswer() {
        let host = RawHost(.esp32s3)
        let replies = host.device.handle(frame: CommandPacket(opcode: 0x42).bytes).replies
        #expect(replies.count == 8)
        #expect(RawHost.outcome(replies.compactMap { ResponsePacket(frame: $0) }) == RawHost.failure(.invalidMessage))
        #expect(RawHost.outcome(host.send(.eraseFlash)) == RawHost.failure(.invalidMessage))  // stub-only command
    }
}
