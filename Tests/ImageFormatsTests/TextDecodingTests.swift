import ImageFormats
import Testing

@Suite struct TextDecodingTests {
    @Test func splitLinesFollowsPython() {
        #expect(TextDecoding.splitLines("a\nb\r\nc\rd").map(String.init) == ["a", "b", "c", "d"])
        #expect(TextDecoding.splitLines("a\n\nb\n").map(String.init) == ["a", "", "b"])
        #expect(TextDecoding.splitLines("").isEmpty)
        #expect(TextDecoding.splitLines("x\u{2028}y\u{0C}z").map(String.init) == ["x", "y", "z"])
    }

    @Test func byteOrderMarksSelectTheEncoding() throws {
        #expect(try TextDecoding.decode([0xEF, 0xBB, 0xBF, 0x61]) == "a")
        #expect(try TextDecoding.decode([0xFF, 0xFE, 0x61, 0x00, 0x62, 0x00]) == "ab")
        #expect(try TextDecoding.decode([0xFE, 0xFF, 0x00, 0x61]) == "a")
        #expect(try TextDecoding.decode([0xFF, 0xFE, 0x00, 0x00, 0x61, 0x00, 0x00, 0x00]) == "a")
    }

    @Test func invalidUTF8IsAnError() {
        #expect(throws: FormatError.self) { try TextDecoding.decode([0x61, 0xFF, 0x62]) }
    }
}
