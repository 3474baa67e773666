import SerialBootloader
import Testing

@Suite struct SLIPTests {
    @Test func escapesEndAndEscapeBytes() {
        #expect(SLIP.encode([0x01, 0xC0, 0x02, 0xDB, 0x03]) == [0xC0, 0x01, 0xDB, 0xDC, 0x02, 0xDB, 0xDD, 0x03, 0xC0])
    }

    @Test func decodesWhateverTheChunking() {
        let packets: [[UInt8]] = [[0x00, 0x08, 0x24, 0x00], [0xC0, 0xDB, 0xC0], Array(0...255)]
        let stream = packets.flatMap { SLIP.encode($0) }
        var whole = SLIPDecoder()
        #expect(whole.packets(from: stream) == packets)
        var drip = SLIPDecoder()
        var got: [[UInt8]] = []
        for byte in stream { got += drip.packets(from: [byte]) }
        #expect(got == packets)
    }

    @Test func resynchronisesAfterGarbageAndBadEscapes() {
        var decoder = SLIPDecoder()
        let garbage: [UInt8] = Array("ets Jun  8 2016 00:22:57\r\n".utf8)
        let events = decoder.feed(garbage + SLIP.encode([1, 2]) + [0xC0, 0x05, 0xDB, 0x01, 0xC0] + SLIP.encode([3]))
        #expect(events == [.packet([1, 2]), .badEscape, .packet([3])])
        #expect(decoder.discardedBytes == garbage.count)
    }
}
