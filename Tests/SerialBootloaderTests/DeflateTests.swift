import SerialBootloader
import Testing

@Suite struct DeflateTests {
    @Test func roundTripsAndShrinksPadding() throws {
        var data = [UInt8](repeating: 0xFF, count: 64 * 1024)
        for i in stride(from: 0, to: 4096, by: 1) { data[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        let packed = try Deflate.compress(data)
        #expect(packed.count < 8 * 1024)
        #expect(packed[0] == 0x78)  // zlib header
        #expect(try Deflate.decompress(packed, limit: data.count) == data)
    }

    @Test func corruptStreamsAreErrors() throws {
        var packed = try Deflate.compress(Array(repeating: 7, count: 1000))
        packed[packed.count / 2] ^= 0xFF
        #expect(throws: Deflate.Failure.self) { try Deflate.decompress(packed, limit: 1000) }
    }
}
