/// Recognises what a blob of flash holds by its first bytes, so a tool given the wrong kind of file can name what
/// it got ("it looks like a partition table"). Only cheap, unambiguous signatures; nil when nothing matches.
public enum FlashContent {
    public static func identify(_ bytes: [UInt8]) -> String? {
        guard let first = bytes.first else { return nil }
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<(offset + prefix.count)]) == prefix
        }
        if starts(PartitionEntry.magic) { return "a partition table (starts with AA 50)" }
        if starts([0x7F, 0x45, 0x4C, 0x46]) { return "an ELF file (convert it to an image with esptool elf2image)" }
        if starts(Array("UF2\n".utf8)) { return "a UF2 file" }
        if first == UInt8(ascii: ":"), bytes.count >= 11, bytes.prefix(11).dropFirst().allSatisfy({ $0 < 0x80 && Character(UnicodeScalar($0)).isHexDigit }) {
            return "an Intel HEX file"
        }
        if starts(FactoryParamLayout.magic) { return "an AT factory_param partition (starts with FC FC)" }
        if starts([0xF1, 0xF1]) { return "an AT PKI partition (starts with F1 F1)" }
        if starts(BLEServiceTable.magic, at: 2) { return "an AT ble_data partition (27 95 at byte 2)" }
        if bytes.count >= NVSFormat.pageSize, isNVSPage(bytes) { return "an NVS partition" }
        if bytes.allSatisfy({ $0 == 0xFF }) { return "erased flash (all 0xFF)" }
        for offset in [0x1000, 0x2000] where bytes.count > offset && bytes[offset] == FirmwareImage.magic {
            return "a whole flash image with an image at 0x\(String(offset, radix: 16)) (give --offset 0x\(String(offset, radix: 16)))"
        }
        return nil
    }

    /// A page header NVS would accept: a known page state, format 0xFE/0xFF and a matching header CRC.
    static func isNVSPage(_ bytes: [UInt8]) -> Bool {
        let state = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        guard NVSFormat.PageState(rawValue: state) != nil, state != 0xFFFF_FFFF, bytes[8] >= 0xFE else { return false }
        let stored = UInt32(bytes[28]) | UInt32(bytes[29]) << 8 | UInt32(bytes[30]) << 16 | UInt32(bytes[31]) << 24
        return NVSChecksum.checksum(bytes[4..<28]) == stored
    }
}
