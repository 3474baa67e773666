import Foundation
import SerialBootloader
import TestSupport
import Testing

/// Serial port facts from sysfs (a fake tree laid out as Linux lays it out), their kinds, the port filter and the
/// automatic choice.
@Suite("Serial ports from sysfs")
struct SerialPortInfoTests {
    @Test("USB bridges and USB-Serial/JTAG ports are read with their ids; platform UARTs and consoles are not ports")
    func enumerate() throws {
        let tree = try FakeSerialPorts([FakeSerialPorts.cp2102(), FakeSerialPorts.usbSerialJTAG(), FakeSerialPorts.other(),
                                        .init(name: "ttyS0", driver: .pnp), .init(name: "ttyS3", driver: .platform)])
        let enumerator = SerialPortEnumerator(sysfsRoot: tree.sysfs, devRoot: tree.dev)
        let ports = enumerator.ports()
        #expect(ports.map(\.name) == ["ttyACM0", "ttyUSB0", "ttyUSB7", "ttyS0"], "Espressif first, then bridges, other USB, the rest")
        let jtag = ports[0]
        #expect(jtag.vid == 0x303A && jtag.pid == 0x1001 && jtag.kind == .usbSerialJTAG && jtag.interfaceNumber == 0)
        #expect(jtag.serialNumber == "7C:DF:A1:00:11:22" && jtag.manufacturer == "Espressif" && jtag.path == tree.dev + "/ttyACM0")
        #expect(ports[1].kind == .cp210x && ports[1].kindDescription.contains("CP2102") && ports[1].vidPidText == "10C4:EA60")
        #expect(ports[2].kind == .otherUSB && !ports[2].isESPCandidate)
        #expect(ports[3].kind == .other && ports[3].vid == nil)
        // A /dev/serial/by-id style link finds the same port (the reset logic looks ports up by the path it opens).
        let link = tree.root + "/usb-Espressif_USB_JTAG-if00"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: tree.dev + "/ttyACM0")
        #expect(enumerator.info(forDevice: link)?.kind == .usbSerialJTAG)
        #expect(enumerator.info(forDevice: "/dev/pts/7") == nil)
    }

    @Test("kinds by VID:PID")
    func kinds() {
        #expect(SerialPortInfo.Kind(vid: 0x303A, pid: 0x1001) == .usbSerialJTAG)
        #expect(SerialPortInfo.Kind(vid: 0x303A, pid: 0x0002) == .usbOTG)
        #expect(SerialPortInfo.Kind(vid: 0x303A, pid: 0x0009) == .usbOTG)
        #expect(SerialPortInfo.Kind(vid: 0x303A, pid: 0x4001) == .espressifUSB)
        #expect(SerialPortInfo.Kind(vid: 0x1A86, pid: 0x7523) == .ch34x)
        #expect(SerialPortInfo.Kind(vid: 0x0403, pid: 0x6010) == .ftdi)
        #expect(SerialPortInfo.Kind(vid: nil, pid: nil) == .other)
    }

    @Test("filter: one kind's values are alternatives, different kinds must all match; the choice needs exactly one candidate")
    func filterAndChoice() throws {
        let a = SerialPortInfo(path: "/dev/ttyUSB0", name: "ttyUSB0", vid: 0x10C4, pid: 0xEA60, serialNumber: "A1")
        let b = SerialPortInfo(path: "/dev/ttyUSB1", name: "ttyUSB1", vid: 0x10C4, pid: 0xEA60, serialNumber: "B2")
        let c = SerialPortInfo(path: "/dev/ttyACM0", name: "ttyACM0", vid: 0x303A, pid: 0x1001, serialNumber: "C3")
        let uart = SerialPortInfo(path: "/dev/ttyS0", name: "ttyS0")
        let filter = try PortFilter(parsing: ["vid=0x10c4,vid=0x303A", "serial=b"])
        #expect([a, b, c].filter(filter.matches) == [b])
        #expect(try PortFilter(parsing: ["name=ACM"]).matches(c))
        #expect(throws: PortFilter.ParseError.self) { try PortFilter(parsing: ["vid=0x10000"]) }
        #expect(throws: PortFilter.ParseError.self) { try PortFilter(parsing: ["port=1"]) }
        #expect(PortChoice.choose(from: [a, uart], filter: PortFilter()) == .chosen(a))
        #expect(PortChoice.choose(from: [uart], filter: PortFilter()) == .none(all: [uart]))
        #expect(PortChoice.choose(from: [a, b, c, uart], filter: PortFilter()) == .several([a, b, c]))
        #expect(PortChoice.choose(from: [a, b, uart], filter: try PortFilter(parsing: ["name=ttyS"])) == .chosen(uart), "a filter may pick any port")
    }
}
