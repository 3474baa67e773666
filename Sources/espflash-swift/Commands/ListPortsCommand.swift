import ArgumentParser
import SerialBootloader

struct ListPortsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-ports",
        abstract: "List the serial ports: path, USB VID:PID, serial number, maker and product, and what kind of port it is.",
        discussion: EsptoolSpelling.discussion("list-ports", """
            Read from sysfs (/sys/class/tty and the USB device above each port). Kinds: usb_serial_jtag (Espressif \
            303A:1001, the USB-Serial/JTAG of ESP32-C3/S3/C6/H2/C5), usb_otg (the ROM's USB-OTG CDC of ESP32-S2/S3), \
            espressif_usb, cp210x, ch34x, ftdi, pl2303 (UART bridges ESP boards use), usb, other. Ports marked with * \
            look like an ESP port; a device command without --port uses the only such port, or stops and lists them \
            when there are several. --port-filter narrows both.

            Examples:
              espflash-swift list-ports
              espflash-swift list-ports --json
              espflash-swift list-ports --port-filter vid=0x303A,pid=0x1001
            """)
    )

    @Option(name: .customLong("port-filter"), help: "vid=0x303A, pid=0x1001, name=ttyACM, serial=TEXT (comma-separated or repeated).")
    var portFilter: [String] = []

    @Flag(name: [.short, .customLong("all")], help: "Also list ports that do not look like an ESP port (the default lists every port anyway; kept for espflash users).")
    var all = false

    @Flag(help: "Print one JSON document: an array of ports.")
    var json = false

    func validate() throws {
        do { _ = try PortFilter(parsing: portFilter) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        try reportingFailures {
            let filter = try PortFilter(parsing: portFilter)
            let ports = SerialPortEnumerator.system().ports().filter(filter.matches)
            if json {
                Console.out(JSONValue.array(ports.map(Self.json)))
                return
            }
            if ports.isEmpty {
                Console.out("No serial ports found\(filter.isEmpty ? "" : " matching --port-filter").\n")
                return
            }
            for port in ports {
                Console.out((port.isESPCandidate ? "* " : "  ") + PortSelection.line(port) + "\n")
            }
        }
    }

    static func json(_ port: SerialPortInfo) -> JSONValue {
        func hex(_ v: UInt16?) -> JSONValue { v.map { .string("0x" + String($0, radix: 16, uppercase: true).leftPadded(4)) } ?? .null }
        return .object([("path", .string(port.path)), ("name", .string(port.name)), ("vid", hex(port.vid)), ("pid", hex(port.pid)),
                        ("serial_number", .optional(port.serialNumber)), ("manufacturer", .optional(port.manufacturer)),
                        ("product", .optional(port.product)), ("interface", .optional(port.interfaceName)),
                        ("interface_number", port.interfaceNumber.map(JSONValue.int) ?? .null),
                        ("kind", .string(port.kind.rawValue)), ("description", .string(port.kindDescription)),
                        ("esp_candidate", .bool(port.isESPCandidate))])
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print this tool's version.",
        discussion: EsptoolSpelling.discussion("version", """
            Examples:
              espflash-swift version
            """)
    )

    static let version = "0.2.0"

    func run() throws { Console.out(Self.version + "\n") }
}
