/// Geometry and codes of the ESP-IDF NVS format (esp-idf `components/nvs_flash/src/nvs_page.hpp`,
/// `nvs_types.hpp`, `include/nvs_handle.hpp`; reference: idf-formats.md §2).
public enum NVSFormat {
    /// Whether every byte is FF (erased flash), 8 bytes at a time: readers test every page and entry this way, and a
    /// byte loop was the largest cost of reading an image under the fuzzer's comparison tracing.
    static func isErased(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { raw in
            var at = 0
            while at + 8 <= raw.count {
                if raw.loadUnaligned(fromByteOffset: at, as: UInt64.self) != .max { return false }
                at += 8
            }
            while at < raw.count {
                if raw[at] != 0xFF { return false }
                at += 1
            }
            return true
        }
    }

    public static let pageSize = 4096
    public static let headerSize = 32
    public static let bitmapOffset = 32
    public static let firstEntryOffset = 64
    public static let entrySize = 32
    public static let entriesPerPage = 126
    /// Smallest read/write partition (one data page, one page the device keeps free, one reserved).
    public static let minimumReadWriteSize = 0x3000
    /// Largest string (with its NUL) and v2 string limit of the generator (`max_blob_size`).
    public static let maxStringSizeV2 = 4000
    /// Largest string or blob in format version 1.
    public static let maxVarLengthSizeV1 = 1984
    /// Key field width; keys hold at most 15 bytes plus the NUL.
    public static let keyFieldSize = 16
    public static let maxKeyLength = 15
    /// `chunkIndex` of every entry except blob data chunks.
    public static let chunkAny: UInt8 = 0xFF

    /// Format version byte of the page header.
    public enum Version: UInt8, Sendable {
        /// Format 1: single-page blobs (type 0x41).
        case v1 = 0xFF
        /// Format 2: multi-page blobs (BLOB_DATA chunks + BLOB_IDX).
        case v2 = 0xFE

        public var number: Int { self == .v1 ? 1 : 2 }
    }

    /// Page states (`nvs_constants.h`): each later state clears one more bit.
    public enum PageState: UInt32, Sendable {
        case empty = 0xFFFF_FFFF
        case active = 0xFFFF_FFFE
        case full = 0xFFFF_FFFC
        case freeing = 0xFFFF_FFF8
        case corrupt = 0xFFFF_FFF0
        case invalid = 0

        public var name: String {
            switch self {
            case .empty: "EMPTY"
            case .active: "ACTIVE"
            case .full: "FULL"
            case .freeing: "FREEING"
            case .corrupt: "CORRUPT"
            case .invalid: "INVALID"
            }
        }
    }

    /// Two-bit entry states of the page bitmap.
    public enum EntryState: UInt8, Sendable {
        case empty = 0b11
        case written = 0b10
        case erased = 0b00
        case illegal = 0b01

        public var name: String {
            switch self {
            case .empty: "empty"
            case .written: "written"
            case .erased: "erased"
            case .illegal: "illegal"
            }
        }
    }

    /// Item type codes (`ItemType`).
    public enum ItemType: UInt8, Sendable, CaseIterable {
        case u8 = 0x01, i8 = 0x11, u16 = 0x02, i16 = 0x12, u32 = 0x04, i32 = 0x14, u64 = 0x08, i64 = 0x18
        case string = 0x21
        case blobV1 = 0x41
        case blobData = 0x42
        case blobIndex = 0x48
        case float = 0x24
        case double = 0x28

        public var isInteger: Bool { (rawValue & 0xE0) == 0 }
        public var isSigned: Bool { (rawValue & 0x10) != 0 }
        /// Width of an integer value in bytes.
        public var width: Int { Int(rawValue & 0x0F) }
        /// Types whose payload follows the header in `span - 1` entries.
        public var isVariableLength: Bool { self == .string || self == .blobV1 || self == .blobData }

        public var name: String {
            switch self {
            case .u8: "u8"
            case .i8: "i8"
            case .u16: "u16"
            case .i16: "i16"
            case .u32: "u32"
            case .i32: "i32"
            case .u64: "u64"
            case .i64: "i64"
            case .string: "string"
            case .blobV1: "blob"
            case .blobData: "blob_data"
            case .blobIndex: "blob_index"
            case .float: "float"
            case .double: "double"
            }
        }

        /// The integer types by their CSV encoding name.
        public static func integer(named name: String) -> ItemType? {
            switch name {
            case "u8": .u8
            case "i8": .i8
            case "u16": .u16
            case "i16": .i16
            case "u32": .u32
            case "i32": .i32
            case "u64": .u64
            case "i64": .i64
            default: nil
            }
        }
    }
}

/// The CRC-32 every NVS structure uses: `zlib.crc32(data, 0xFFFFFFFF)` on the host, `esp_rom_crc32_le(0xffffffff, …)`
/// on the chip. That is the reflected 0xEDB88320 polynomial with the register starting at 0 and the result inverted
/// ("123456789" → 0xD202D277; idf-formats.md §2.6). Chaining `checksum(b, seed: checksum(a))` equals one call over a+b.
public enum NVSChecksum {
    /// Slicing-by-8 tables: `tables[k][n]` is the CRC register after byte n followed by k zero bytes.
    static let tables: [[UInt32]] = {
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
            t[0][n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 { t[k][n] = (t[k - 1][n] >> 8) ^ t[0][Int(t[k - 1][n] & 0xFF)] }
        }
        return t
    }()

    /// The tables flattened (8 × 256), so the hot loop indexes one buffer.
    private static let flatTable: [UInt32] = tables.flatMap { $0 }

    public static func checksum<C: Collection>(_ bytes: C, seed: UInt32 = 0xFFFF_FFFF) -> UInt32 where C.Element == UInt8 {
        if let crc = bytes.withContiguousStorageIfAvailable({ checksum($0, seed: seed) }) { return crc }
        return checksum(Array(bytes), seed: seed)
    }

    public static func checksum(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt32 = 0xFFFF_FFFF) -> UInt32 {
        var c = ~seed
        flatTable.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            // Eight bytes per step (slicing-by-8), then the tail a byte at a time.
            while i + 8 <= n {
                let lo = c ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                let hi = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    /// CRC of an entry: bytes 0..<4 and 8..<32 (the CRC field itself is skipped).
    public static func entry(_ entry: ArraySlice<UInt8>) -> UInt32 {
        let base = entry.startIndex
        return checksum(entry[(base + 8)..<(base + 32)], seed: checksum(entry[base..<(base + 4)]))
    }
}
