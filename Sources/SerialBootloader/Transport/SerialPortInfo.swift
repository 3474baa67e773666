/// What the system says about one serial port: its path and, for a USB port, the USB device's identity
/// (vendor and product id, serial number, product and manufacturer strings) and what kind of bridge or ESP USB
/// port that is. `list-ports` prints it; port auto-selection picks among the ESP-looking ones; the reset logic can
/// tell a USB-Serial/JTAG port (303A:1001) from a UART bridge by it.
public struct SerialPortInfo: Sendable, Hashable {
    /// The device path to open (`/dev/ttyUSB0`).
    public var path: String
    /// The kernel's name for it (`ttyUSB0`).
    public var name: String
    public var vid: UInt16?
    public var pid: UInt16?
    public var serialNumber: String?
    public var product: String?
    public var manufacturer: String?
    /// The USB interface's own description, when the device has one (`interface` in sysfs).
    public var interfaceName: String?
    /// The USB interface number (an FT2232 has a JTAG interface 0 and a UART interface 1).
    public var interfaceNumber: Int?

    public init(path: String, name: String, vid: UInt16? = nil, pid: UInt16? = nil, serialNumber: String? = nil,
                product: String? = nil, manufacturer: String? = nil, interfaceName: String? = nil, interfaceNumber: Int? = nil) {
        self.path = path
        self.name = name
        self.vid = vid
        self.pid = pid
        self.serialNumber = serialNumber
        self.product = product
        self.manufacturer = manufacturer
        self.interfaceName = interfaceName
        self.interfaceNumber = interfaceNumber
    }

    /// What the port is, from its VID:PID.
    public var kind: Kind { Kind(vid: vid, pid: pid) }

    /// Whether it looks like a port an ESP chip sits behind: an Espressif USB port or a USB-UART bridge that
    /// ESP boards use (Silicon Labs CP210x, WCH CH34x/CH910x, FTDI, Prolific).
    public var isESPCandidate: Bool { kind.isESPCandidate }

    /// `10C4:EA60`, or nil for a port that is not USB.
    public var vidPidText: String? {
        guard let vid, let pid else { return nil }
        return hex4(vid) + ":" + hex4(pid)
    }

    /// The port's kinds, as `list-ports` names them.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The USB-Serial/JTAG peripheral of ESP32-C3/S3/C6/H2/C5 (303A:1001): no DTR/RTS reset circuit, its own
        /// reset sequence.
        case usbSerialJTAG = "usb_serial_jtag"
        /// An ESP32-S2/S3/P4 USB-OTG CDC port of the ROM download mode (303A with the chip's image id as PID).
        case usbOTG = "usb_otg"
        /// Another Espressif USB device (an application's TinyUSB CDC, ESP USB Bridge, ...).
        case espressifUSB = "espressif_usb"
        case cp210x
        case ch34x
        case ftdi
        case pl2303
        /// A USB serial device of another vendor.
        case otherUSB = "usb"
        /// Not a USB device (a built-in UART, a pseudo-terminal).
        case other

        public init(vid: UInt16?, pid: UInt16?) {
            guard let vid, let pid else { self = .other; return }
            switch vid {
            case SerialPortInfo.espressifVID:
                if pid == SerialPortInfo.usbSerialJTAGPID {
                    self = .usbSerialJTAG
                } else if SerialPortInfo.usbOTGDownloadPIDs.keys.contains(pid) {
                    self = .usbOTG
                } else {
                    self = .espressifUSB
                }
            case 0x10C4: self = .cp210x
            case 0x1A86: self = .ch34x
            case 0x0403: self = .ftdi
            case 0x067B: self = .pl2303
            default: self = .otherUSB
            }
        }

        public var isESPCandidate: Bool { self != .otherUSB && self != .other }

        /// What `list-ports` prints for it.
        public var title: String {
            switch self {
            case .usbSerialJTAG: "Espressif USB-Serial/JTAG"
            case .usbOTG: "Espressif USB-OTG CDC (ROM download)"
            case .espressifUSB: "Espressif USB device"
            case .cp210x: "Silicon Labs CP210x UART bridge"
            case .ch34x: "WCH CH34x/CH910x UART bridge"
            case .ftdi: "FTDI UART bridge"
            case .pl2303: "Prolific PL2303 UART bridge"
            case .otherUSB: "USB serial device"
            case .other: "serial port"
            }
        }
    }

    /// Espressif's USB vendor id.
    public static let espressifVID: UInt16 = 0x303A
    /// The USB-Serial/JTAG peripheral's product id (the same on every chip that has it).
    public static let usbSerialJTAGPID: UInt16 = 0x1001
    /// ROM USB-OTG download ports: the product id is the chip's image chip id (ESP32-S2 2, ESP32-S3 9, ESP32-P4 18).
    public static let usbOTGDownloadPIDs: [UInt16: String] = [0x0002: "ESP32-S2", 0x0009: "ESP32-S3", 0x0012: "ESP32-P4"]

    /// Known product ids of the bridges, for a friendlier description.
    static let bridgeModels: [UInt32: String] = [
        0x10C4_EA60: "CP2102/CP2102N/CP2104", 0x10C4_EA63: "CP2102N", 0x10C4_EA64: "CP2102C", 0x10C4_EA70: "CP2105",
        0x10C4_EA71: "CP2108", 0x1A86_7523: "CH340", 0x1A86_7522: "CH340K", 0x1A86_5523: "CH341", 0x1A86_55D2: "CH342",
        0x1A86_55D3: "CH343", 0x1A86_55D4: "CH9102", 0x0403_6001: "FT232R", 0x0403_6010: "FT2232", 0x0403_6011: "FT4232",
        0x0403_6014: "FT232H", 0x0403_6015: "FT-X", 0x067B_2303: "PL2303",
    ]

    /// The kind, with the bridge model or OTG chip when known: `Silicon Labs CP210x UART bridge (CP2102/CP2102N/CP2104)`.
    public var kindDescription: String {
        guard let vid, let pid else { return kind.title }
        if kind == .usbOTG, let chip = Self.usbOTGDownloadPIDs[pid] { return kind.title + " of an \(chip)" }
        if let model = Self.bridgeModels[UInt32(vid) << 16 | UInt32(pid)] { return kind.title + " (\(model))" }
        return kind.title
    }
}

/// `303A` style: four upper-case hex digits.
func hex4(_ value: UInt16) -> String {
    let s = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - s.count) + s
}
