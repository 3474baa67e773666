import ChipEmulator
import Foundation
import ImageFormats
import SerialBootloader
import Testing

/// The emulated chip's TCP server serves one client at a time; an idle client (one that connected and went quiet, or
/// died without closing) must not lock out the next: after `idleTakeover` seconds a new connection takes over.
@Suite struct IdleClientTests {
    final class Running: @unchecked Sendable {
        let server: EmulatorServer
        var stop = false
        init() throws {
            server = EmulatorServer(session: EmulatorSession(device: EmulatedDevice(profile: .profile(for: .esp32)!)))
            server.idleTakeover = 0.5
            try server.open(.tcp(host: "127.0.0.1", port: 0))
            Thread { [self] in server.run { self.stop } }.start()
        }
        var port: UInt16 { UInt16(server.connectString.split(separator: ":").last!)! }
    }

    static func sync(_ transport: any Transport, timeout: Double) throws -> Bool {
        try transport.write(SLIP.encode(CommandPacket(.sync, data: LoaderRequest.syncPayload).bytes))
        var decoder = SLIPDecoder()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for frame in decoder.packets(from: try transport.read(maxCount: 4096, timeout: 0.1)) {
                if let reply = ResponsePacket(frame: frame), reply.opcode == Opcode.sync.rawValue { return true }
            }
        }
        return false
    }

    @Test func aNewConnectionTakesOverFromAnIdleOne() throws {
        let running = try Running()
        defer { running.stop = true }
        let idle = try TCPTransport(host: "127.0.0.1", port: running.port)
        defer { idle.close() }
        #expect(try Self.sync(idle, timeout: 2))  // served, then silent
        let next = try TCPTransport(host: "127.0.0.1", port: running.port)
        defer { next.close() }
        let started = Date()
        #expect(try Self.sync(next, timeout: 5))
        #expect(Date().timeIntervalSince(started) < 3)
    }

    @Test func anActiveClientKeepsTheChip() throws {
        let running = try Running()
        defer { running.stop = true }
        let active = try TCPTransport(host: "127.0.0.1", port: running.port)
        defer { active.close() }
        let waiting = try TCPTransport(host: "127.0.0.1", port: running.port)
        defer { waiting.close() }
        // Commands every 100 ms (well inside idleTakeover) keep the first client served.
        for _ in 0..<10 {
            #expect(try Self.sync(active, timeout: 2))
            Thread.sleep(forTimeInterval: 0.1)
        }
        // Once it goes quiet, the waiting one is served.
        #expect(try Self.sync(waiting, timeout: 5))
    }
}
