import ImageFormats
import Foundation
import ChipEmulator
import SerialBootloader
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Our rfc2217:// client against an RFC 2217 server nobody here wrote: Debian's ser2net, serving the emulated
/// chip's pseudo-terminal. scripts/test.sh installs ser2net; with ESPFLASH_REQUIRE_TOOLS=1 a missing one fails.
enum Ser2net {
    static let path: String? = ["/usr/sbin/ser2net", "/usr/bin/ser2net"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let runs = path != nil || ProcessInfo.processInfo.environment["ESPFLASH_REQUIRE_TOOLS"] == "1"
}

@Suite(.enabled(if: Ser2net.runs), .serialized)
struct RFC2217Tests {
    /// The emulator serving its pty on a background thread.
    final class Running: @unchecked Sendable {
        let server: EmulatorServer
        let device: EmulatedDevice
        var stop = false
        init() throws {
            device = EmulatedDevice(profile: .profile(for: .esp32c3)!)
            server = EmulatorServer(session: EmulatorSession(device: device))
            try server.open(.pty)
        }
        func start() {
            Thread { [self] in server.run { self.stop } }.start()
        }
    }

    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// Sends one request and waits for the reply with the same opcode.
    static func command(_ t: any Transport, _ op: Opcode, _ data: [UInt8] = [], checksum: UInt32 = 0, timeout: Double = 5) throws -> ResponsePacket? {
        try t.write(SLIP.encode(CommandPacket(op, data: data, checksum: checksum).bytes))
        var decoder = SLIPDecoder()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for frame in decoder.packets(from: try t.read(maxCount: 4096, timeout: 0.2)) {
                if let r = ResponsePacket(frame: frame), r.opcode == op.rawValue { return r }
            }
        }
        return nil
    }

    @Test func baudControlLinesAndAFlashRoundTripThroughSer2net() throws {
        let ser2net = try #require(Ser2net.path, "ser2net is not installed (apt-get install ser2net)")
        let running = try Running()
        running.start()
        defer { running.stop = true }
        let port = Self.freePort()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rfc2217-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("ser2net.yaml")
        try """
            connection: &emulated
              accepter: telnet(rfc2217),tcp,127.0.0.1,\(port)
              connector: serialdev,\(running.server.connectString),115200n81,local
              options:
                kickolduser: true

            """.write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ser2net)
        process.arguments = ["-n", "-d", "-c", config.path, "-P", dir.appendingPathComponent("ser2net.pid").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // SIGKILL: children of the test runner inherit its blocked SIGTERM.
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }

        var transport: RFC2217Transport?
        let deadline = Date().addingTimeInterval(10)
        while transport == nil && Date() < deadline {
            transport = try? RFC2217Transport(host: "127.0.0.1", port: port)
            if transport == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        let t = try #require(transport, "could not connect to ser2net")
        defer { t.close() }
        #expect(t.comPortOptionAccepted)

        // Baud change: the server acknowledges it (SET-BAUDRATE reply, code 101) and the pty's termios changes.
        try t.setBaudRate(921_600)
        try t.setControlLines(dtr: false, rts: true)
        try t.setControlLines(dtr: true, rts: false)
        let until = Date().addingTimeInterval(3)
        while Date() < until && (t.acknowledgements[101]?.contains([0x00, 0x0E, 0x10, 0x00]) != true || t.acknowledgements[105] == nil) {
            _ = try t.read(maxCount: 4096, timeout: 0.1)
        }
        #expect(t.acknowledgements[101]?.contains([0x00, 0x0E, 0x10, 0x00]) == true, "\(t.acknowledgements)")
        #expect(running.server.ptySpeedCode == UInt32(B921600))
        // SET-CONTROL requests arrive: ser2net answers each one (code 105), even though a pty has no modem lines.
        #expect((t.acknowledgements[105]?.count ?? 0) >= 1, "\(t.acknowledgements)")

        // A flash round trip through the server.
        let sync = try Self.command(t, .sync, LoaderRequest.syncPayload)
        #expect(sync?.value == EmulatedDevice.syncValue)
        try t.discardInput()
        let image = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 0xC0) }  // contains C0, DB and FF bytes
        let blocks = stride(from: 0, to: image.count, by: 0x400).map { Array(image[$0..<min($0 + 0x400, image.count)]) }
        #expect(try Self.command(t, .spiSetParams, RawHost.words([0, 4 << 20, 0x10000, 0x1000, 0x100, 0xFFFF]))?.status().failed == false)
        #expect(try Self.command(t, .flashBegin, RawHost.words([UInt32(image.count), UInt32(blocks.count), 0x400, 0x30_0000, 0]))?.status().failed == false)
        for (seq, block) in blocks.enumerated() {
            let padded = block + [UInt8](repeating: 0xFF, count: 0x400 - block.count)
            let r = try Self.command(t, .flashData, RawHost.words([0x400, UInt32(seq), 0, 0]) + padded, checksum: CommandPacket.checksum(of: padded))
            #expect(r?.status().failed == false)
        }
        let md5 = try Self.command(t, .spiFlashMD5, RawHost.words([0x30_0000, UInt32(image.count), 0, 0]))
        let expected = RawHost(.esp32c3).device  // a scratch device computes the reference MD5 the same way a host would
        expected.tamper(with: image, at: 0)
        let reference = RawHost(device: expected).md5(0, UInt32(image.count))
        #expect(md5.map { String(decoding: $0.payload(length: 32), as: UTF8.self) } == reference)
        #expect(Array(running.device.flash.read(0x30_0000, image.count)) == image)
    }
}
