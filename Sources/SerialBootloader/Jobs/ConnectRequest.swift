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
    /// A reset sequence replacing the built-in strategies (esptool's `custom_reset_sequence`), as
    /// `ResetSequence.custom("D0|R1|W0.1|D1|R0|W0.05|D0")` makes one.
    public var customReset: ResetSequence?
    /// How long to wait for replies; nil: esptool's figures for real ports, none for in-process chips
    /// (`LoaderConnection`). esptool.cfg's timeouts arrive here.
    public var timeouts: CommandTimeouts?
    /// SPI_ATTACH's pin word (`--spi-connection`: 0 the SPI pins, 1 HSPI on the ESP32, or
    /// `hd << 24 | cs << 18 | d << 12 | q << 6 | clk`); nil: the chip's default (the eFuse pins on the ESP32).
    public var spiConnection: UInt32?
    /// Called with a line per request and reply (`--trace`).
    public var trace: (@Sendable (String) -> Void)?

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
    /// Whether RDID answered (false in secure download mode, where the flash id cannot be read).
    public var flashIDKnown = true
    /// The line rate after set-up.
    public var baudRate: Int
    /// GET_SECURITY_INFO; nil on the ESP32, whose ROM lacks it.
    public var securityInfo: SecurityInfo?
    /// Flash encryption, secure boot, secure download mode (eFuses, or the security info in secure download mode).
    public var security = SecurityState()
    /// The port is the chip's own USB-Serial/JTAG: its watchdogs were disabled after connecting.
    public var usbSerialJTAG = false

    /// `24:0a:c4:5e:00:01`; `unknown` when it could not be read (secure download mode).
    public var macText: String { mac.isEmpty ? "unknown" : mac.map(hex2).joined(separator: ":") }
    public var flashManufacturer: UInt8 { UInt8(flashID & 0xFF) }
    /// Memory type and capacity as esptool prints them (`4016`).
    public var flashDevice: UInt16 { UInt16((flashID >> 8 & 0xFF) << 8 | (flashID >> 16 & 0xFF)) }
}
