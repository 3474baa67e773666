#if canImport(Glibc)
import Glibc
#endif

/// A USB device's vendor and product id: how esptool tells a chip's own USB-Serial/JTAG (303A:1001) from a
/// USB-UART bridge, and so which reset sequence and housekeeping it needs.
public struct USBDeviceID: Sendable, Hashable, CustomStringConvertible {
    public var vendor: UInt16
    public var product: UInt16

    public init(vendor: UInt16, product: UInt16) {
        self.vendor = vendor
        self.product = product
    }

    public var description: String { hex4(vendor) + ":" + hex4(product) }

    /// Espressif's USB-Serial/JTAG peripheral.
    public var isUSBSerialJTAG: Bool { self == USBDeviceID(vendor: 0x303A, product: 0x1001) }

    /// The USB ids of the device behind a serial device path (a symlink such as /dev/serial/by-id/… is followed),
    /// from Linux sysfs: the tty's `device` link leads into the USB interface, whose parent holds `idVendor` and
    /// `idProduct`. Nil for a pseudo-terminal, a non-USB port, or another system.
    /// (A small stand-in until the port listing's `SerialPortInfo` is shared.)
    public static func forSerialPort(path: String, sysfs: String = "/sys") -> USBDeviceID? {
        guard let device = realPath(path), let name = device.split(separator: "/").last else { return nil }
        guard var dir = realPath("\(sysfs)/class/tty/\(name)/device") else { return nil }
        for _ in 0..<6 {
            if let vendor = readHex("\(dir)/idVendor"), let product = readHex("\(dir)/idProduct") {
                return USBDeviceID(vendor: vendor, product: product)
            }
            guard let slash = dir.lastIndex(of: "/"), slash != dir.startIndex else { return nil }
            dir = String(dir[..<slash])
        }
        return nil
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func readHex(_ path: String) -> UInt16? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 16)
        guard fgets(&buffer, 16, file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return UInt16(text, radix: 16)
    }
}

func hex4(_ value: UInt16) -> String {
    let s = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}
