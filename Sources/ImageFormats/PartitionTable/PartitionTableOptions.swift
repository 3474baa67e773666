/// Secure boot scheme; v1 makes app partitions 64 KB-aligned in size (`--secure v1`).
public enum SecureBootVersion: String, Sendable, CaseIterable {
    case v1, v2
}

/// The settings gen_esp32part takes on its command line, with its defaults.
public struct PartitionTableOptions: Sendable, Equatable {
    /// Flash offset of the table itself (`--offset`, `CONFIG_PARTITION_TABLE_OFFSET`).
    public var tableOffset: Int = 0x8000
    /// Whether the binary carries (and a read checks) the MD5 record.
    public var md5: Bool = true
    public var primaryBootloaderOffset: Int?
    public var recoveryBootloaderOffset: Int?
    public var secure: SecureBootVersion?
    /// Run the field and layout checks (`--no-verify` turns them off).
    public var verify: Bool = true
    /// Flash size in bytes the table must fit (`--flash-size`); checked even without `verify`.
    public var flashSize: Int?
    public var keywords: PartitionKeywords = .standard
    /// Values for `$NAME`/`${NAME}` in CSV lines (gen_esp32part expands the environment).
    public var variables: [String: String] = [:]

    public init() {}
}

extension PartitionTable {
    /// The table owns one 4 KB sector; partitions start after it.
    public static let sectorSize = 0x1000
    /// Generated tables are 0xC00 bytes; the last 1 KB of the sector is left for a secure boot v1 signature.
    public static let binaryLength = 0xC00
    /// Start of the MD5 record: `EB EB` and 14 × `FF`, then the 16-byte digest.
    public static let md5RecordPrefix: [UInt8] = [0xEB, 0xEB] + Array(repeating: 0xFF, count: 14)
    /// Read-write NVS needs at least three pages (`NVS_RW_MIN_PARTITION_SIZE`).
    public static let nvsReadWriteMinimumSize = 0x3000
    public static let otadataSize = 0x2000

    /// Offset alignment per type: 64 KB for app, 4 KB for every other type, custom types included.
    public static func offsetAlignment(forType type: Int) -> Int {
        type == PartitionKeywords.appType ? 0x10000 : 0x1000
    }

    /// Size alignment: only app partitions have one (4 KB, 64 KB under secure boot v1).
    public static func sizeAlignment(forType type: Int, secure: SecureBootVersion?) -> Int {
        guard type == PartitionKeywords.appType else { return 1 }
        return secure == .v1 ? 0x10000 : 0x1000
    }
}
