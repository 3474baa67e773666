/// The package's hex spellings of bytes, so every message and output spells them the same way.
extension Sequence<UInt8> {
    /// Two lower-case hex digits a byte, no separator: Python's `bytes.hex()` (digests, hex2bin values).
    public var hexString: String {
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for b in self {
            out.append(hexDigitsLower[Int(b >> 4)])
            out.append(hexDigitsLower[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Two upper-case hex digits a byte, separated by spaces (`FC FC`): how messages quote magic bytes.
    var spacedHex: String { map { $0.hexDigits(uppercase: true) }.joined(separator: " ") }
}

extension UInt8 {
    /// Exactly two hex digits, as Python's `'%02x'` (or `'%02X'`).
    func hexDigits(uppercase: Bool = false) -> String {
        let digits = uppercase ? hexDigitsUpper : hexDigitsLower
        return String(decoding: [digits[Int(self >> 4)], digits[Int(self & 15)]], as: UTF8.self)
    }
}

private let hexDigitsLower = Array("0123456789abcdef".utf8)
private let hexDigitsUpper = Array("0123456789ABCDEF".utf8)
