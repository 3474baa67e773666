/// Flash sizes: the JEDEC capacity byte of RDID mapped to bytes (esptool `DETECTED_FLASH_SIZES`,
/// shared/reference/esptool.md §6) and the size names esptool uses.
public enum FlashSize {
    static let kb = 1024, mb = 1024 * 1024

    /// Size in bytes for an RDID answer (`manufacturer | type << 8 | capacity << 16`); nil when unknown.
    public static func detected(fromJEDEC id: UInt32) -> Int? {
        let manufacturer = id & 0xFF
        if manufacturer == 0x1F {  // Adesto: size in bits 0–4 of the device id byte
            let table: [UInt32: Int] = [0x04: 512 * kb, 0x05: mb, 0x06: 2 * mb, 0x07: 4 * mb, 0x08: 8 * mb, 0x09: 16 * mb]
            return table[(id >> 8) & 0x1F]
        }
        let table: [UInt32: Int] = [
            0x12: 256 * kb, 0x13: 512 * kb, 0x14: mb, 0x15: 2 * mb, 0x16: 4 * mb, 0x17: 8 * mb, 0x18: 16 * mb,
            0x19: 32 * mb, 0x1A: 64 * mb, 0x1B: 128 * mb, 0x1C: 256 * mb, 0x20: 64 * mb, 0x21: 128 * mb, 0x22: 256 * mb,
            0x32: 256 * kb, 0x33: 512 * kb, 0x34: mb, 0x35: 2 * mb, 0x36: 4 * mb, 0x37: 8 * mb, 0x38: 16 * mb,
            0x39: 32 * mb, 0x3A: 64 * mb,
        ]
        return table[(id >> 16) & 0xFF]
    }

    /// `4MB`, `512KB`.
    public static func name(_ bytes: Int) -> String {
        bytes >= mb && bytes % mb == 0 ? "\(bytes / mb)MB" : "\(bytes / kb)KB"
    }

    /// Parses the names `-fs` takes (`1MB` … `128MB`, `256KB`, `512KB`).
    public static func parse(_ text: String) -> Int? {
        let upper = text.uppercased()
        if upper.hasSuffix("MB"), let n = Int(upper.dropLast(2)), [1, 2, 4, 8, 16, 32, 64, 128].contains(n) { return n * mb }
        if upper.hasSuffix("KB"), let n = Int(upper.dropLast(2)), [256, 512].contains(n) { return n * kb }
        return nil
    }
}
