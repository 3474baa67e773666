/// A chip esptool 5.6.0 knows. Its facts are one `ChipFacts` literal each (Chip+Table.swift), reached as
/// `chip.displayName`, `chip.bootloaderOffset` and so on; every switch over `Chip` lists all cases, so a new chip
/// makes the compiler name each place that needs an answer. The image tools read every chip; the flasher and the
/// emulator drive those with ROM-loader facts (`chip.loader`, `Chip.flasherChips`).
///
/// Cases are in esptool 5.6.0's `CHIP_DEFS` order; the raw value is the `--chip` spelling.
@dynamicMemberLookup
public enum Chip: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case esp8266, esp32, esp32s2, esp32s3, esp32c3, esp32c2, esp32c6, esp32c61, esp32c5, esp32e22, esp32h2, esp32h21
    case esp32p4, esp32h4, esp32s31

    /// This chip's row of the table.
    public var facts: ChipFacts {
        switch self {
        case .esp8266: .esp8266
        case .esp32: .esp32
        case .esp32s2: .esp32s2
        case .esp32s3: .esp32s3
        case .esp32c3: .esp32c3
        case .esp32c2: .esp32c2
        case .esp32c6: .esp32c6
        case .esp32c61: .esp32c61
        case .esp32c5: .esp32c5
        case .esp32e22: .esp32e22
        case .esp32h2: .esp32h2
        case .esp32h21: .esp32h21
        case .esp32p4: .esp32p4
        case .esp32h4: .esp32h4
        case .esp32s31: .esp32s31
        }
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<ChipFacts, Value>) -> Value { facts[keyPath: keyPath] }

    /// The `--chip` spelling: `esp32c3`.
    public var name: String { rawValue }

    public var description: String { name }

    /// Every chip, in esptool's `CHIP_DEFS` order.
    public static var all: [Chip] { allCases }

    /// The chips whose ROM loader this tool drives (`--chip` of the device commands), in table order.
    public static var flasherChips: [Chip] { allCases.filter { $0.loader != nil } }

    /// `esp32c3`, `ESP32-C3` or `esp32_c3`.
    public static func named(_ name: String) -> Chip? {
        Chip(rawValue: name.lowercased().filter { $0 != "-" && $0 != "_" })
    }

    public static func withImageChipID(_ id: UInt16) -> Chip? { allCases.first { $0.imageChipID == id } }
}

// MARK: - Image facts

extension Chip {
    /// The frequency code for `name` (`40m`), or nil when this chip has no such setting.
    public func flashFrequencyCode(_ name: String) -> UInt8? { facts.flashFrequencies.first { $0.name == name }?.code }

    /// The name esptool prints for a frequency code (first match in table order).
    public func flashFrequencyName(_ code: UInt8) -> String? { facts.flashFrequencies.first { $0.code == code }?.name }

    /// The size code for `name` (`4MB`), or nil when this chip's table has no such size.
    public func flashSizeCode(_ name: String) -> UInt8? { facts.flashSizes.first { $0.name == name }?.code }

    /// The name esptool prints for a size code (the high nibble of header byte 3, kept in place).
    public func flashSizeName(_ code: UInt8) -> String? { facts.flashSizes.first { $0.code == code }?.name }

    /// Names of the memory regions containing `address` (esptool `ImageSegment.get_memory_type`).
    public func memoryTypes(at address: UInt32) -> [String] {
        facts.memoryMap.filter { $0.start <= address && address < $0.end }.map(\.name)
    }

    public func isFlashMapped(_ address: UInt32) -> Bool { facts.iromMap.contains(address) || facts.dromMap.contains(address) }
}

/// One `MEMORY_MAP` row: `[start, end)` and its name.
public struct MemoryRegion: Sendable, Hashable {
    public let start: UInt32
    public let end: UInt32
    public let name: String

    public init(_ start: UInt32, _ end: UInt32, _ name: String) {
        self.start = start
        self.end = end
        self.name = name
    }
}
