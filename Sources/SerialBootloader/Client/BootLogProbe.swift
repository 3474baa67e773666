/// What the chip printed while leaving reset: the ROM's first lines carry `boot:0xNN` (the strapping pins it
/// sampled) and, in download mode, `waiting for download`. esptool reads them after each reset to tell a chip that
/// started from flash from one that is in download mode but does not answer (`_connect_attempt`).
struct BootLogProbe {
    /// The last `boot:0x..` value seen, and whether `waiting for download` followed it.
    private(set) var bootMode: String?
    private(set) var downloadMode = false

    mutating func scan(_ bytes: [UInt8]) {
        guard let at = Self.lastIndex(of: Array("boot:0x".utf8), in: bytes) else { return }
        let rest = bytes[(at + 7)...]
        let digits = rest.prefix { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
        guard !digits.isEmpty else { return }
        bootMode = "0x" + String(decoding: digits, as: UTF8.self)
        downloadMode = Self.lastIndex(of: Array("waiting for download".utf8), in: Array(rest)) != nil
    }

    static func lastIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for start in stride(from: bytes.count - needle.count, through: 0, by: -1) where bytes[start] == needle[0] {
            if bytes[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }

    /// Why no SYNC was answered, when the boot log says more than silence.
    var diagnosis: String? {
        guard let bootMode else { return nil }
        if downloadMode {
            return "download mode detected (boot:\(bootMode)), but the chip does not answer SYNC: the serial TX path seems to be down"
        }
        return "wrong boot mode detected (boot:\(bootMode)): the chip started from flash; it must leave reset with IO0 low "
            + "(check the DTR/RTS auto-reset wiring, or hold BOOT while tapping EN)"
    }
}
