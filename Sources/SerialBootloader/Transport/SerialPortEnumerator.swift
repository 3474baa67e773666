#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lists the serial ports of this machine from Linux sysfs, as pyserial's `list_ports_linux` does: every
/// `/sys/class/tty/NAME` with a `device` link (virtual consoles have none) whose device is not a bare `platform`
/// UART; for USB ports the identity comes from the USB device two levels up (`usb-serial` drivers such as cp210x,
/// ch341 and ftdi_sio) or one level up (`cdc_acm`, whose tty hangs off the interface itself).
///
/// Both roots can point at a fake tree (tests; `ESPFLASH_SYSFS_ROOT`, `ESPFLASH_DEV_ROOT`). On systems without
/// sysfs (macOS) the list is empty.
public struct SerialPortEnumerator: Sendable {
    public var sysfsRoot: String
    public var devRoot: String

    public init(sysfsRoot: String = "/sys", devRoot: String = "/dev") {
        self.sysfsRoot = sysfsRoot
        self.devRoot = devRoot
    }

    /// The real system, unless `ESPFLASH_SYSFS_ROOT` / `ESPFLASH_DEV_ROOT` say where a test's fake tree is.
    public static func system() -> SerialPortEnumerator {
        SerialPortEnumerator(sysfsRoot: environment("ESPFLASH_SYSFS_ROOT") ?? "/sys", devRoot: environment("ESPFLASH_DEV_ROOT") ?? "/dev")
    }

    /// Every serial port, Espressif ports first, then the other ESP-looking bridges, then the rest; by name within.
    public func ports() -> [SerialPortInfo] {
        let names = Self.directoryEntries(sysfsRoot + "/class/tty")
        return names.compactMap { port(named: $0) }.sorted { a, b in
            let ra = Self.rank(a), rb = Self.rank(b)
            return ra != rb ? ra < rb : Self.naturalLess(a.name, b.name)
        }
    }

    /// The port a device path refers to (`/dev/ttyACM0`, or a `/dev/serial/by-id/...` link to it); nil when sysfs
    /// does not know it (a pseudo-terminal, a network port, no sysfs).
    public func info(forDevice path: String) -> SerialPortInfo? {
        var candidates = [Self.lastComponent(path)]
        if let resolved = Self.realPath(path) { candidates.append(Self.lastComponent(resolved)) }
        for name in candidates {
            if var info = port(named: name) {
                info.path = path
                return info
            }
        }
        return nil
    }

    /// The port `/sys/class/tty/NAME` describes, or nil when it is not a real serial port.
    public func port(named name: String) -> SerialPortInfo? {
        let classDir = sysfsRoot + "/class/tty/" + name
        guard let device = Self.realPath(classDir + "/device") else { return nil }
        let subsystem = Self.realPath(device + "/subsystem").map(Self.lastComponent)
        if subsystem == "platform" { return nil }  // a legacy UART with no hardware behind it (ttyS1..ttyS31)
        var info = SerialPortInfo(path: devRoot + "/" + name, name: name)
        let interfaceDir: String
        switch subsystem {
        case "usb-serial": interfaceDir = Self.parent(device)
        case "usb": interfaceDir = device
        default: return info
        }
        let usbDevice = Self.parent(interfaceDir)
        guard let vid = Self.hexFile(usbDevice + "/idVendor"), let pid = Self.hexFile(usbDevice + "/idProduct") else { return info }
        info.vid = UInt16(truncatingIfNeeded: vid)
        info.pid = UInt16(truncatingIfNeeded: pid)
        info.serialNumber = Self.textFile(usbDevice + "/serial")
        info.product = Self.textFile(usbDevice + "/product")
        info.manufacturer = Self.textFile(usbDevice + "/manufacturer")
        info.interfaceName = Self.textFile(interfaceDir + "/interface")
        info.interfaceNumber = Self.hexFile(interfaceDir + "/bInterfaceNumber")
        return info
    }

    // MARK: - Files

    private static func rank(_ port: SerialPortInfo) -> Int {
        if port.vid == SerialPortInfo.espressifVID { return 0 }
        return port.isESPCandidate ? 1 : port.vid != nil ? 2 : 3
    }

    /// `ttyUSB2` before `ttyUSB10`.
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        func split(_ s: String) -> (String, Int) {
            let digits = s.reversed().prefix { $0.isNumber }
            return (String(s.dropLast(digits.count)), Int(String(digits.reversed())) ?? -1)
        }
        let (pa, na) = split(a), (pb, nb) = split(b)
        return pa != pb ? pa < pb : na < nb
    }

    static func directoryEntries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// A sysfs attribute's text without its trailing newline; nil when absent or empty.
    static func textFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while bytes.count < 4096 {
            let n = read(fd, &buffer, buffer.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        var text = String(decoding: bytes, as: UTF8.self)
        while let last = text.last, last == "\n" || last == " " || last == "\0" { text.removeLast() }
        return text.isEmpty ? nil : text
    }

    /// A sysfs attribute holding a hex number (`idVendor` is `10c4`).
    static func hexFile(_ path: String) -> Int? { textFile(path).flatMap { Int($0, radix: 16) } }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
