import Foundation

/// A fake Linux sysfs tree and /dev folder holding the serial ports a test wants, laid out as the kernel lays them
/// out: `/sys/class/tty/NAME/device` links to the port's device, whose `subsystem` is `usb-serial` (cp210x, ch341,
/// ftdi_sio: the tty hangs off a port device under the USB interface) or `usb` (cdc_acm: the interface itself);
/// the USB device above the interface has `idVendor`, `idProduct`, `serial`, `product`, `manufacturer`.
/// Point `ESPFLASH_SYSFS_ROOT` and `ESPFLASH_DEV_ROOT` at `sysfs` and `dev`.
public struct FakeSerialPorts {
    public let root: String
    public var sysfs: String { root + "/sys" }
    public var dev: String { root + "/dev" }

    public enum Driver: Sendable { case usbSerial, cdcACM, pnp, platform }

    public struct Port: Sendable {
        public var name: String
        public var driver: Driver
        public var vid = "", pid = "", serial: String?, product: String?, manufacturer: String?
        /// What `/dev/NAME` is: a symlink to this path (an emulator's pty), or an empty file.
        public var target: String?

        public init(name: String, driver: Driver, vid: String = "", pid: String = "", serial: String? = nil, product: String? = nil,
                    manufacturer: String? = nil, target: String? = nil) {
            self.name = name
            self.driver = driver
            self.vid = vid
            self.pid = pid
            self.serial = serial
            self.product = product
            self.manufacturer = manufacturer
            self.target = target
        }
    }

    public init(_ ports: [Port]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("espflash-ports-" + UUID().uuidString).path
        let fm = FileManager.default
        for dir in ["/sys/class/tty", "/sys/bus/usb-serial", "/sys/bus/usb", "/sys/bus/pnp", "/sys/bus/platform", "/dev"] {
            try fm.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
        }
        for (i, port) in ports.enumerated() { try add(port, slot: i) }
        // A virtual console: a tty without a device link, never listed.
        try fm.createDirectory(atPath: sysfs + "/class/tty/tty0", withIntermediateDirectories: true)
    }

    /// Plugs a port in (`slot` numbers its USB device: give each port its own).
    public func add(_ port: Port, slot i: Int) throws {
        let fm = FileManager.default
        do {
            let classDir = sysfs + "/class/tty/" + port.name
            try fm.createDirectory(atPath: classDir, withIntermediateDirectories: true)
            let usbDevice = sysfs + "/devices/pci0000:00/usb1/1-\(i + 1)"
            var device: String
            var bus: String
            switch port.driver {
            case .usbSerial:
                device = usbDevice + "/1-\(i + 1):1.0/" + port.name
                bus = "usb-serial"
            case .cdcACM:
                device = usbDevice + "/1-\(i + 1):1.0"
                bus = "usb"
            case .pnp:
                device = sysfs + "/devices/pnp0/00:0\(i)"
                bus = "pnp"
            case .platform:
                device = sysfs + "/devices/platform/serial8250"
                bus = "platform"
            }
            try fm.createDirectory(atPath: device, withIntermediateDirectories: true)
            try? fm.createSymbolicLink(atPath: device + "/subsystem", withDestinationPath: sysfs + "/bus/" + bus)
            try fm.createSymbolicLink(atPath: classDir + "/device", withDestinationPath: device)
            if port.driver == .usbSerial || port.driver == .cdcACM {
                let interface = usbDevice + "/1-\(i + 1):1.0"
                try Self.write("00\n", interface + "/bInterfaceNumber")
                try Self.write(port.vid + "\n", usbDevice + "/idVendor")
                try Self.write(port.pid + "\n", usbDevice + "/idProduct")
                if let serial = port.serial { try Self.write(serial + "\n", usbDevice + "/serial") }
                if let product = port.product { try Self.write(product + "\n", usbDevice + "/product") }
                if let manufacturer = port.manufacturer { try Self.write(manufacturer + "\n", usbDevice + "/manufacturer") }
            }
            if let target = port.target {
                try fm.createSymbolicLink(atPath: dev + "/" + port.name, withDestinationPath: target)
            } else {
                try Self.write("", dev + "/" + port.name)
            }
        }
    }

    /// Unplugs the port: its sysfs entry and its /dev node go.
    public func remove(_ name: String) throws {
        try FileManager.default.removeItem(atPath: sysfs + "/class/tty/" + name)
        try FileManager.default.removeItem(atPath: dev + "/" + name)
    }

    public var environment: [String: String] { ["ESPFLASH_SYSFS_ROOT": sysfs, "ESPFLASH_DEV_ROOT": dev] }

    static func write(_ text: String, _ path: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }

    public static func cp2102(_ name: String = "ttyUSB0", serial: String = "0001", target: String? = nil) -> Port {
        Port(name: name, driver: .usbSerial, vid: "10c4", pid: "ea60", serial: serial, product: "CP2102N USB to UART Bridge Controller",
             manufacturer: "Silicon Labs", target: target)
    }

    public static func usbSerialJTAG(_ name: String = "ttyACM0", serial: String = "7C:DF:A1:00:11:22", target: String? = nil) -> Port {
        Port(name: name, driver: .cdcACM, vid: "303a", pid: "1001", serial: serial, product: "USB JTAG/serial debug unit",
             manufacturer: "Espressif", target: target)
    }

    public static func other(_ name: String = "ttyUSB7") -> Port {
        Port(name: name, driver: .usbSerial, vid: "2341", pid: "0043", serial: "8573", product: "Arduino Uno", manufacturer: "Arduino")
    }
}

