/// The flash settings of image header bytes 2 and 3 (`-fm`, `-ff`, `-fs`) as typed values, parsed once from the
/// names esptool's command line takes. Sources: esptool 5.6.0 `cmds.py: FLASH_MODES`,
/// `targets/esp32.py: ESP32ROM.FLASH_SIZES`, `loader.py: DETECTED_FLASH_SIZES`, the `--flash-freq`/`--flash-size`
/// choices of `cli_util.py` (reference/esptool.md §5.2, §6, §13).

/// SPI flash mode: byte 2 of the image header.
public enum FlashMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case qio, qout, dio, dout

    public var headerCode: UInt8 {
        switch self {
        case .qio: 0
        case .qout: 1
        case .dio: 2
        case .dout: 3
        }
    }

    public init?(headerCode: UInt8) {
        guard let mode = Self.allCases.first(where: { $0.headerCode == headerCode }) else { return nil }
        self = mode
    }

    /// `dio` or `DIO`.
    public init?(name: String) { self.init(rawValue: name.lowercased()) }

    public var description: String { rawValue }
}

/// SPI flash clock: the low nibble of header byte 3. The code depends on the chip (`Chip.flashFrequencies`);
/// this value is only the name, one of the frequencies esptool's `--flash-freq` accepts.
public struct FlashFrequency: Sendable, Hashable, CustomStringConvertible {
    public let megahertz: Int

    /// Every `--flash-freq` value esptool accepts, fastest first; whether a chip has it is `headerCode(for:)`.
    public static let choices: [FlashFrequency] = [80, 64, 60, 48, 40, 32, 30, 26, 24, 20, 16, 15, 12].map(FlashFrequency.init(megahertz:))

    private init(megahertz: Int) { self.megahertz = megahertz }

    /// `40m` (esptool's spelling; `40M` is taken too).
    public init?(name: String) {
        guard let match = Self.choices.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = match
    }

    /// `40m`.
    public var name: String { "\(megahertz)m" }
    public var description: String { name }

    /// The header code on `chip`, or nil when the chip has no such setting.
    public func headerCode(for chip: Chip) -> UInt8? { chip.flashFrequencyCode(name) }
}

/// A flash size: its byte count and, where ESP32-family headers have one, its code (the high nibble of header
/// byte 3), from the one table below.
public struct FlashSize: Sendable, Hashable, CustomStringConvertible {
    /// `4MB`, `2MB-c1`.
    public let name: String
    public let bytes: Int
    /// High nibble of image header byte 3; nil for the ESP8266-only layouts (`256KB`, `512KB`, `-c1`) and sizes no
    /// header can name (256 MB).
    public let headerCode: UInt8?
    /// Whether `-fs`/`--pad-to-size` accept the name (256 MB is only ever detected).
    public let isChoice: Bool

    static let kb = 1024, mb = 1024 * 1024

    /// The one size table.
    public static let table: [FlashSize] = [
        FlashSize("256KB", 256 * kb, nil), FlashSize("512KB", 512 * kb, nil),
        FlashSize("1MB", mb, 0x00), FlashSize("2MB", 2 * mb, 0x10), FlashSize("2MB-c1", 2 * mb, nil),
        FlashSize("4MB", 4 * mb, 0x20), FlashSize("4MB-c1", 4 * mb, nil), FlashSize("8MB", 8 * mb, 0x30),
        FlashSize("16MB", 16 * mb, 0x40), FlashSize("32MB", 32 * mb, 0x50), FlashSize("64MB", 64 * mb, 0x60),
        FlashSize("128MB", 128 * mb, 0x70), FlashSize("256MB", 256 * mb, nil, isChoice: false),
    ]

    /// The names `-fs` and `--pad-to-size` take, in esptool's order.
    public static var choices: [String] { table.filter(\.isChoice).map(\.name) }

    private init(_ name: String, _ bytes: Int, _ headerCode: UInt8?, isChoice: Bool = true) {
        self.name = name
        self.bytes = bytes
        self.headerCode = headerCode
        self.isChoice = isChoice
    }

    /// A `-fs` name: `4MB` (any letter case).
    public init?(name: String) {
        guard let match = Self.table.first(where: { $0.isChoice && $0.name.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }

    /// The size with this many bytes (the plain layout, not `-c1`).
    public init?(bytes: Int) {
        guard let match = Self.table.first(where: { $0.bytes == bytes && !$0.name.hasSuffix("-c1") }) else { return nil }
        self = match
    }

    /// The size an image header's code names.
    public init?(headerCode: UInt8) {
        guard let match = Self.table.first(where: { $0.headerCode == headerCode }) else { return nil }
        self = match
    }

    public var description: String { name }

    /// The size a flash chip reports in its RDID answer (`manufacturer | type << 8 | capacity << 16`), nil when the
    /// capacity byte is unknown (esptool `DETECTED_FLASH_SIZES`; Adesto parts code it in the device id).
    public static func detected(fromJEDEC id: UInt32) -> FlashSize? {
        let manufacturer = id & 0xFF
        if manufacturer == 0x1F {
            let adesto: [UInt32: Int] = [0x04: 512 * kb, 0x05: mb, 0x06: 2 * mb, 0x07: 4 * mb, 0x08: 8 * mb, 0x09: 16 * mb]
            return adesto[(id >> 8) & 0x1F].flatMap(FlashSize.init(bytes:))
        }
        // Capacity byte: 0x12…0x1C is log2 of the size, 0x20…0x22 and 0x32…0x3A are vendor variants.
        let capacity = Int((id >> 16) & 0xFF)
        let log2: Int? = switch capacity {
        case 0x12...0x1C: capacity
        case 0x20...0x22: capacity - 0x20 + 0x1A
        case 0x32...0x3A: capacity - 0x32 + 0x12
        default: nil
        }
        return log2.flatMap { FlashSize(bytes: 1 << $0) }
    }
}
