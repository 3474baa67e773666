/// Value decoders with the semantics of the Python calls esp-idf-nvs-partition-gen makes (`int(v)`,
/// `binascii.a2b_hex`, `binascii.a2b_base64`), but returning a message instead of crashing.
enum NVSValueText {
    /// Python `int(text)` (base 10): surrounding whitespace, optional sign, leading zeros allowed, single
    /// underscores between digits. Returns the value as sign and magnitude, or a reason it is not one.
    static func decimal(_ text: String) -> Result<(negative: Bool, magnitude: UInt64), Problem> {
        // ASCII fast path, straight on the string's bytes; other text goes through the Unicode-aware strip
        // (non-ASCII digits are refused anyway).
        let ascii = text.utf8.withContiguousStorageIfAvailable { utf8 in
            utf8.allSatisfy { $0 < 0x80 } ? decimal(utf8[...], text: text) : nil
        }
        if let ascii, let result = ascii { return result }
        let stripped = Array((text.utf8.allSatisfy { $0 < 0x80 } ? text : text.pythonStripped()).utf8)
        return stripped.withUnsafeBufferPointer { decimal($0[...], text: text) }
    }

    private static func decimal(_ input: Slice<UnsafeBufferPointer<UInt8>>, text: String) -> Result<(negative: Bool, magnitude: UInt64), Problem> {
        let asciiSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) || (0x1C...0x1F).contains($0) }
        var bytes = input
        while let f = bytes.first, asciiSpace(f) { bytes = bytes.dropFirst() }
        while let l = bytes.last, asciiSpace(l) { bytes = bytes.dropLast() }
        let trimmed = bytes
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        guard let first = bytes.first, let last = bytes.last, first != UInt8(ascii: "_"), last != UInt8(ascii: "_") else {
            return .failure(.invalid("'\(text)' is not a decimal integer"))
        }
        var magnitude: UInt64 = 0
        var overflow = false
        var previousUnderscore = false
        for b in bytes {
            if b == UInt8(ascii: "_") {
                if previousUnderscore { return .failure(.invalid("'\(text)' is not a decimal integer")) }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            guard b >= 0x30, b <= 0x39 else {
                let lowered = String(decoding: trimmed, as: UTF8.self).lowercased()
                let hint = lowered.hasPrefix("0x") || lowered.hasPrefix("-0x")
                    ? " (the generator reads integers as decimal only; hex is refused)" : ""
                return .failure(.invalid("'\(text)' is not a decimal integer\(hint)"))
            }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
            if o1 || o2 { overflow = true }
            magnitude = a
        }
        if overflow { return .failure(.outOfRange) }
        return .success((negative, magnitude))
    }

    enum Problem: Error {
        case invalid(String)
        case outOfRange
    }

    /// Stores `text` as the little-endian bits of an integer of `type`, or says why it does not fit.
    static func integer(_ text: String, as type: NVSFormat.ItemType) -> Result<UInt64, Problem> {
        let parsed: (negative: Bool, magnitude: UInt64)
        switch decimal(text) {
        case .success(let p): parsed = p
        case .failure(let e): return .failure(e)
        }
        let bits = UInt64(type.width * 8)
        if type.isSigned {
            let maxPositive = (UInt64(1) << (bits - 1)) - 1
            if parsed.negative {
                guard parsed.magnitude <= maxPositive + 1 else { return .failure(.outOfRange) }
                return .success(parsed.magnitude == 0 ? 0 : ~parsed.magnitude &+ 1)
            }
            guard parsed.magnitude <= maxPositive else { return .failure(.outOfRange) }
            return .success(parsed.magnitude)
        }
        if parsed.negative { return parsed.magnitude == 0 ? .success(0) : .failure(.outOfRange) }
        let max = bits == 64 ? UInt64.max : (UInt64(1) << bits) - 1
        guard parsed.magnitude <= max else { return .failure(.outOfRange) }
        return .success(parsed.magnitude)
    }

    /// The range of an integer type, for messages.
    static func range(of type: NVSFormat.ItemType) -> String {
        let bits = type.width * 8
        switch (type.isSigned, bits) {
        case (false, 64): return "0…18446744073709551615"
        case (true, 64): return "-9223372036854775808…9223372036854775807"
        case (false, _): return "0…\((1 << bits) - 1)"
        case (true, _): return "\(-(1 << (bits - 1)))…\((1 << (bits - 1)) - 1)"
        }
    }

    /// `binascii.a2b_hex` of an even-length string.
    static func hex(_ scalars: [Unicode.Scalar]) -> [UInt8]? {
        guard scalars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(scalars.count / 2)
        var i = 0
        while i < scalars.count {
            guard let hi = hexDigit(scalars[i]), let lo = hexDigit(scalars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func hexDigit(_ s: Unicode.Scalar) -> UInt8? {
        switch s.value {
        case 0x30...0x39: UInt8(s.value - 0x30)
        case 0x41...0x46: UInt8(s.value - 0x41 + 10)
        case 0x61...0x66: UInt8(s.value - 0x61 + 10)
        default: nil
        }
    }

    /// `binascii.a2b_base64` in its default, non-strict mode (CPython 3.11): characters outside the alphabet are
    /// skipped, a complete pad sequence ends the input, and leftover data characters are an error.
    static func base64(_ bytes: [UInt8]) -> Result<[UInt8], Problem> {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3 / 4)
        var quadPosition = 0
        var pads = 0
        var left: UInt32 = 0
        var dataCharacters = 0
        loop: for byte in bytes {
            if byte == UInt8(ascii: "=") {
                if quadPosition >= 2 {
                    pads += 1
                    if quadPosition + pads >= 4 { break loop }
                }
                continue
            }
            guard let v = base64Value(byte) else { continue }
            dataCharacters += 1
            pads = 0
            switch quadPosition {
            case 0:
                quadPosition = 1
                left = v
            case 1:
                quadPosition = 2
                out.append(UInt8(truncatingIfNeeded: left << 2 | v >> 4))
                left = v & 0x0F
            case 2:
                quadPosition = 3
                out.append(UInt8(truncatingIfNeeded: left << 4 | v >> 2))
                left = v & 0x03
            default:
                quadPosition = 0
                out.append(UInt8(truncatingIfNeeded: left << 6 | v))
                left = 0
            }
        }
        if quadPosition != 0 && !(quadPosition >= 2 && quadPosition + pads >= 4) {
            if quadPosition == 1 {
                return .failure(.invalid("invalid base64: the number of data characters (\(dataCharacters)) cannot be 1 more than a multiple of 4"))
            }
            return .failure(.invalid("invalid base64: incorrect padding"))
        }
        return .success(out)
    }

    private static func base64Value(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x41...0x5A: UInt32(b - 0x41)
        case 0x61...0x7A: UInt32(b - 0x61 + 26)
        case 0x30...0x39: UInt32(b - 0x30 + 52)
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}

extension String {
    /// Python `str.strip()`: removes Unicode whitespace at both ends.
    func pythonStripped() -> String {
        let s = unicodeScalars
        guard let start = s.firstIndex(where: { !$0.isPythonWhitespace }) else { return "" }
        let end = s.lastIndex(where: { !$0.isPythonWhitespace })!
        return String(s[start...end])
    }
}

extension Unicode.Scalar {
    /// `str.isspace()` characters: Unicode White_Space plus the ASCII separators 0x1C–0x1F.
    var isPythonWhitespace: Bool { properties.isWhitespace || (0x1C...0x1F).contains(value) }
}

extension Array where Element == UInt8 {
    /// Python `bytes.strip()`: removes ASCII whitespace (space, \t, \n, \r, \v, \f) at both ends.
    func asciiStripped() -> ArraySlice<UInt8> {
        let ws: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C]
        guard let start = firstIndex(where: { !ws.contains($0) }) else { return [] }
        let end = lastIndex(where: { !ws.contains($0) })!
        return self[start...end]
    }
}
