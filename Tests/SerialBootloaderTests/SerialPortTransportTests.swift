import CSerialSupport
import Foundation
import ChipEmulator
import SerialBootloader
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The termios transport against the emulator's pseudo-terminal: raw bytes both ways, non-standard baud rates
/// through termios2/BOTHER, control lines refused by the pty without failing, and a flash round trip.
@Suite(.serialized) struct SerialPortTransportTests {
    @Test func flashRoundTripOverAPseudoTerminal() throws {
        let running = try RFC2217Tests.Running()
        running.start()
        defer { running.stop = true }
        let port = try SerialPortTransport(path: running.server.connectString, baudRate: 115_200)
        defer { port.close() }
        #expect(running.server.ptySpeedCode == UInt32(B115200))
        // 1 234 567 baud is no Bxxx constant: only termios2 with BOTHER can set it.
        try port.setBaudRate(1_234_567)
        #expect(port.baudRate == 1_234_567)
        #expect(running.server.ptySpeedCode == 0o010000)  // BOTHER (asm/termbits.h)
        try port.setControlLines(dtr: true, rts: false)  // a pty has no modem lines: ignored, as esptool does
        #expect(port.controlLinesUnsupported)

        let sync = try RFC2217Tests.command(port, .sync, LoaderRequest.syncPayload)
        #expect(sync?.value == EmulatedDevice.syncValue)
        try port.discardInput()
        let image = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 197 &+ 0xDB) }
        let packed = try Deflate.compress(image)
        #expect(try RFC2217Tests.command(port, .flashDeflBegin, RawHost.words([0x0C00, 1, 0x400, 0x8000, 0]))?.status().failed == false)
        let r = try RFC2217Tests.command(port, .flashDeflData, RawHost.words([UInt32(packed.count), 0, 0, 0]) + packed,
                                         checksum: CommandPacket.checksum(of: packed))
        #expect(r?.status().failed == false)
        let slow = try RFC2217Tests.command(port, .readFlashSlow, RawHost.words([0x8000, 64]))
        #expect(slow.map { Array($0.data.prefix(64)) } == Array(image.prefix(64)))
        #expect(Array(running.device.flash.read(0x8000, image.count)) == image)
    }

    /// A port is locked while open (flock, as pyserial's exclusive=True): a second program gets a clear error.
    @Test func aSecondUserOfThePortIsRefused() throws {
        let running = try RFC2217Tests.Running()
        running.start()
        defer { running.stop = true }
        let first = try SerialPortTransport(path: running.server.connectString)
        #expect { try SerialPortTransport(path: running.server.connectString) } throws: { "\($0)".contains("in use by another program") }
        first.close()
        let again = try SerialPortTransport(path: running.server.connectString)
        again.close()
    }

    /// A device that vanishes (the other side of a pty closes, a USB port unplugged) is a `disconnected` error at
    /// once, not empty reads until the timeout.
    @Test func aVanishedDeviceIsADisconnectNotASpin() throws {
        var name = [CChar](repeating: 0, count: 128)
        let master = espflash_open_pty(&name, name.count)
        try #require(master >= 0)
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let port = try SerialPortTransport(path: path)
        defer { port.close() }
        close(master)
        let started = Date()
        #expect { _ = try port.read(maxCount: 64, timeout: 5) } throws: { ($0 as? TransportError)?.kind == .disconnected }
        #expect(Date().timeIntervalSince(started) < 3)  // the timeout is 5 s: anything near it is a spin
    }

    @Test func openingSomethingThatIsNotATTYFails() {
        #expect(throws: TransportError.self) { try SerialPortTransport(path: "/dev/null") }
        #expect(throws: TransportError.self) { try SerialPortTransport(path: "/nonexistent/ttyUSB9") }
    }

    @Test func portArgumentsParse() throws {
        #expect(try PortAddress(parsing: "/dev/ttyUSB0") == .serial(path: "/dev/ttyUSB0"))
        #expect(try PortAddress(parsing: "socket://127.0.0.1:5555") == .socket(host: "127.0.0.1", port: 5555))
        #expect(try PortAddress(parsing: "rfc2217://localhost:4000?ign_set_control") == .rfc2217(host: "localhost", port: 4000))
        #expect(try PortAddress(parsing: "virtual://esp32c3?flash=f.bin&size=8MB") == .virtual(VirtualPortAddress(chip: .esp32c3, options: [.init(key: "flash", value: "f.bin"), .init(key: "size", value: "8MB")])))
        #expect(throws: PortAddress.ParseError.self) { try PortAddress(parsing: "virtual://esp8266") }
        #expect(throws: TransportError.self) { try EmulatorPortOpener().open(PortAddress(parsing: "virtual://esp32?size=3MB")) }
        #expect(throws: PortAddress.ParseError.self) { try PortAddress(parsing: "socket://nohost") }
        #expect(throws: PortAddress.ParseError.self) { try PortAddress(parsing: "ftp://x:1") }
    }
}
