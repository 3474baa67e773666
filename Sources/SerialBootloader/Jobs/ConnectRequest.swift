import ImageFormats

/// What `DeviceSession.connect` needs: the port and how to open it, and esptool's connection options.
public struct ConnectRequest: Sendable {
    public var port: PortAddress
    /// Opens, reopens (after the link broke) and closes the port: `SystemPortOpener`, ChipEmulator's
    /// `EmulatorPortOpener` for `virtual://`, or a station's own.
    public var opener: any PortOpener
    /// The rate to switch to after syncing (`--baud`); the ROM always starts at 115200.
    public var baudRate = ConnectRequest.initialBaudRate
    public var before: BeforeAction = .defaultReset
    /// Reset-and-sync cycles; 0 or less tries forever.
    public var connectAttempts = 7
    /// The chip the caller expects (`--chip`); nil detects it. Another chip fails the connect stage.
    public var chip: Chip?
    /// What SPI_SET_PARAMS gets, and what `-fs` means for image headers (`WriteOptions`).
    public var flashSize: FlashSizeChoice = .keep
    /// How long a failed port may take to come back (a USB port re-enumerating) before the job gives up.
    public var reopenTimeout = 10.0
    /// Tries of the set-up after syncing (baud, attach, flash id and size, MAC, revision).
    public var setupAttempts = 5

    /// The ROM loader's rate after reset.
    public static let initialBaudRate = 115_200

    public init(port: PortAddress, opener: any PortOpener = SystemPortOpener()) {
        self.port = port
        self.opener = opener
    }
}

/// `-fs`: what SPI_SET_PARAMS is told and what goes into a bootloader header (esptool's rules).
public enum FlashSizeChoice: Sendable, Hashable {
    /// The detected size (4 MB when unknown) for SPI_SET_PARAMS; headers keep their size.
    case keep
    /// The detected size (4 MB when unknown) for both.
    case detect
    /// This size for both.
    case fixed(FlashSize)

    /// `keep`, `detect`, or a size name such as `4MB`.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "keep": self = .keep
        case "detect": self = .detect
        default:
            guard let size = FlashSize(name: argument) else { return nil }
            self = .fixed(size)
        }
    }
}

/// The connected chip, as the connect stage found and set it up.
public struct DeviceInfo: Sendable, Equatable {
    /// How the port is named (`/dev/ttyUSB0`, `socket://…`, `virtual://esp32`).
    public var port: String
    public var chip: Chip
    /// nil where this tool does not read the chip's revision fields.
    public var revision: ChipRevision?
    public var crystalMHz: Int?
    /// The base MAC, 6 bytes.
    public var mac: [UInt8]
    /// RDID: `manufacturer | memory type << 8 | capacity << 16`.
    public var flashID: UInt32
    /// What RDID's capacity byte says; nil when unknown.
    public var detectedFlashSize: FlashSize?
    /// What SPI_SET_PARAMS was given: the flash size jobs check addresses against.
    public var flashSize: FlashSize
    /// The line rate after set-up.
    public var baudRate: Int
    /// GET_SECURITY_INFO; nil on the ESP32, whose ROM lacks it.
    public var securityInfo: SecurityInfo?

    /// `24:0a:c4:5e:00:01`.
    public var macText: String { mac.map(hex2).joined(separator: ":") }
    public var flashManufacturer: UInt8 { UInt8(flashID & 0xFF) }
    /// Memory type and capacity as esptool prints them (`4016`).
    public var flashDevice: UInt16 { UInt16((flashID >> 8 & 0xFF) << 8 | (flashID >> 16 & 0xFF)) }
}
