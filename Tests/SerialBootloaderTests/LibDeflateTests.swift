import Foundation
import Testing
@testable import SerialBootloader

@Suite("libdeflate streams")
struct LibDeflateTests {
    @Test("a real app: libdeflate's stream inflates with zlib to the same bytes and is smaller than zlib -9")
    func smallerAndCompatible() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/images/esp_idf_blink_esp32s2.bin").path
        let app = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let strong = try #require(LibDeflate.compress(app))
        let zlib9 = try Deflate.compress(app, level: 9)
        #expect(try Deflate.decompress(strong, limit: app.count) == app)
        #expect(strong.count < zlib9.count)
        // Block by block, as the ROM inflates FLASH_DEFL_DATA.
        let inflater = try Inflater()
        var out: [UInt8] = []
        for start in stride(from: 0, to: strong.count, by: 0x400) { out += try inflater.inflate(Array(strong[start..<min(strong.count, start + 0x400)])) }
        #expect(out == app)
        #expect(inflater.finished)
    }
}
