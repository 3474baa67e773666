/// The type and subtype keywords of a partition table CSV, in gen_esp32part's order (binary → CSV prints the
/// first keyword with a matching value). Mirrors `TYPES`/`SUBTYPES` of ESP-IDF v5.5 `gen_esp32part.py`, which
/// mirror `esp_partition_type_t`/`esp_partition_subtype_t` in `esp_partition.h`.
public struct PartitionKeywords: Sendable, Equatable {
    public typealias Keyword = (name: String, value: Int)

    public static let appType = 0x00
    public static let dataType = 0x01
    public static let bootloaderType = 0x02
    public static let partitionTableType = 0x03

    public private(set) var types: [(name: String, value: Int)]
    public private(set) var subtypes: [Int: [(name: String, value: Int)]]

    public static let standard = PartitionKeywords()

    public init() {
        types = [("bootloader", Self.bootloaderType), ("partition_table", Self.partitionTableType),
                 ("app", Self.appType), ("data", Self.dataType)]
        var app: [Keyword] = [("factory", 0x00), ("test", 0x20)]
        app += (0..<16).map { ("ota_\($0)", 0x10 + $0) }
        app += (0..<2).map { ("tee_\($0)", 0x30 + $0) }
        subtypes = [
            Self.bootloaderType: [("primary", 0x00), ("ota", 0x01), ("recovery", 0x02)],
            Self.partitionTableType: [("primary", 0x00), ("ota", 0x01)],
            Self.appType: app,
            Self.dataType: [("ota", 0x00), ("phy", 0x01), ("nvs", 0x02), ("coredump", 0x03), ("nvs_keys", 0x04),
                            ("efuse", 0x05), ("undefined", 0x06), ("esphttpd", 0x80), ("fat", 0x81),
                            ("spiffs", 0x82), ("littlefs", 0x83), ("tee_ota", 0x90)],
        ]
    }

    public static func == (lhs: PartitionKeywords, rhs: PartitionKeywords) -> Bool {
        lhs.types.map(\.name) == rhs.types.map(\.name) && lhs.types.map(\.value) == rhs.types.map(\.value)
            && lhs.subtypes.keys.sorted() == rhs.subtypes.keys.sorted()
            && lhs.subtypes.allSatisfy { k, v in rhs.subtypes[k].map { $0.map(\.name) == v.map(\.name) && $0.map(\.value) == v.map(\.value) } ?? false }
    }

    public func subtypeKeywords(forType type: Int) -> [Keyword] { subtypes[type] ?? [] }

    public func typeName(_ value: Int) -> String? { types.first { $0.value == value }?.name }

    public func subtypeName(_ value: Int, type: Int) -> String? {
        subtypeKeywords(forType: type).first { $0.value == value }?.name
    }

    public var allSubtypeNames: Set<String> { Set(subtypes.values.flatMap { $0.map(\.name) }) }

    /// Adds subtypes given as `--extra-partition-subtypes "TYPE,NAME,0xHH"` (TYPE is one of the four type names,
    /// the value is hex with or without `0x`). A value that duplicates one of that type's subtypes is refused
    /// (gen_esp32part dies with a traceback there).
    public mutating func addExtraSubtype(_ spec: String) throws(FormatError) {
        let fields = spec.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        guard fields.count >= 3 else {
            throw FormatError("partition_table.extra_subtype", "extra subtype '\(spec)' must be 'TYPE,NAME,VALUE'")
        }
        guard let type = types.first(where: { $0.name == fields[0] })?.value else {
            throw FormatError("partition_table.extra_subtype",
                              "Error parsing custom subtypes: Invalid partition type '\(fields[0])'",
                              help: "TYPE is one of: " + types.map(\.name).joined(separator: ", "))
        }
        var hex = Substring(fields[2])
        if hex.lowercased().hasPrefix("0x") { hex = hex.dropFirst(2) }
        guard let value = Int(hex, radix: 16), (0...0xFF).contains(value) else {
            throw FormatError("partition_table.extra_subtype", "extra subtype value '\(fields[2])' is not a hex byte")
        }
        if subtypeKeywords(forType: type).contains(where: { $0.value == value }) {
            throw FormatError("partition_table.extra_subtype",
                              "Found duplicate value in partition subtype: \(fields[0]) subtype 0x\(String(value, radix: 16)) already exists")
        }
        if let existing = subtypes[type]?.firstIndex(where: { $0.name == fields[1] }) {
            subtypes[type]![existing].value = value
        } else {
            subtypes[type, default: []].append((fields[1], value))
        }
    }
}
