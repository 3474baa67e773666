import ImageFormats
import Testing

@Suite struct IntegerTextTests {
    @Test(arguments: [
        ("0", 0), ("00", 0), ("0x10", 16), ("0X1f", 31), ("0o17", 15), ("0b101", 5), ("1_000", 1000),
        ("0x_ff", 255), ("-12", -12), ("+7", 7), (" 42 ", 42),
    ])
    func pythonIntegersParse(_ text: String, _ value: Int) {
        #expect(IntegerText.python(text) == .value(value))
    }

    @Test(arguments: ["010", "08", "", "0x", "1__0", "_1", "1_", "12a", "0b2", "ten", "0x1g"])
    func pythonRejectsWhatIntRejects(_ text: String) {
        #expect(IntegerText.python(text) == .invalid)
    }

    @Test func hugeNumbersAreOutOfRangeNotInvalid() {
        #expect(IntegerText.python("0x1" + String(repeating: "0", count: 20)) == .outOfRange)
    }

    @Test(arguments: [("0x8000", 0x8000), ("12K", 12 * 1024), ("4M", 4 << 20), ("4MB", 4 << 20), ("1kb", 1024), ("4096", 4096)])
    func commandLineSizes(_ text: String, _ value: Int) {
        #expect(IntegerText.sizeOrAddress(text) == value)
    }

    @Test func commandLineSizesRefuseNegativeAndJunk() {
        #expect(IntegerText.sizeOrAddress("-1") == nil)
        #expect(IntegerText.sizeOrAddress("4GBX") == nil)
    }
}
