import SerialBootloader
#if canImport(Glibc)
import Glibc
#endif

/// One client of `emulate --rfc2217`: the server side of RFC 2217 (Telnet with the COM-PORT-OPTION), as ser2net or
/// esptool's esp_rfc2217_server speak it. Serial data goes to the emulated chip (0xFF doubled on the wire), the
/// baud rate the client sets is the host's line rate. Every request is acknowledged with the server code (the
/// client's + 100) and the value, as pyserial's rfc2217 client waits for. When the client leaves, DTR and RTS drop
/// (HUPCL).
///
/// DTR/RTS reach the board in one of two ways (`EmulatorServer.RFC2217LineMode`): as they arrive (ser2net: each SET-CONTROL is one ioctl
/// on the port), or as esptool's esp_rfc2217_server handles them, because pyserial waits for every SET-CONTROL's
/// answer (about 50 ms each) and the classic sequence's window with EN released and IO0 high would boot the flash:
/// DTR asserted starts esptool's tight reset into download mode, run here with its own timing; RTS released outside
/// that starts a hard reset; DTR released ends it; the other changes are not passed on.
final class RFC2217Connection {
    private let fd: Int32
    private unowned let server: EmulatorServer
    private var parser = TelnetParser()
    private var lineBaud = 115_200
    private var answered: Set<[UInt8]> = []
    /// Line changes the server replays at their time (esp_rfc2217_server mode): (time, DTR, RTS).
    private var scheduled: [(time: Double, dtr: Bool?, rts: Bool?)] = []
    private var downloadResetActive = false

    private typealias T = RFC2217Transport

    init(fd: Int32, server: EmulatorServer) {
        self.fd = fd
        self.server = server
    }



    func serve(shouldStop: () -> Bool) {
        let link = server.link
        server.locked { link.beginConnection(send: sendData) }
        // Offer the option ourselves too: ser2net does, and a client that waits for it is served at once.
        _ = writeRaw([T.iac, T.will, T.comPortOption, T.iac, T.doCode, T.comPortOption])
        var buffer = [UInt8](repeating: 0, count: 65536)
        defer {
            // A reset the server started runs to its end (esp_rfc2217_server's thread does); then the lines drop.
            while let last = scheduled.last?.time, Clock.now() < last { Clock.sleep(seconds: min(0.01, last - Clock.now())); applyDueLineChanges() }
            applyDueLineChanges()
            server.locked { link.setControlLines(dtr: false, rts: false) { _ in true } }
        }
        while !shouldStop() {
            applyDueLineChanges()
            guard server.waitForInput(fd, until: scheduled.first?.time, send: sendData) else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EAGAIN || errno == EINTR { continue }
            if n <= 0 { return }
            let parsed = parser.feed(Array(buffer[0..<n]))
            for (verb, option) in parsed.negotiations { negotiate(verb, option) }
            // Every request is carried out even when its answer cannot be sent (a client that closed right after
            // its last request: its final hard reset must still happen).
            var connected = true
            for sub in parsed.subnegotiations where sub.first == T.comPortOption && sub.count >= 2 {
                connected = comPortCommand(sub[1], Array(sub.dropFirst(2))) && connected
            }
            if !connected { return }
            if !parsed.data.isEmpty {
                let action = server.locked { link.receive(parsed.data, lineBaud: lineBaud, send: sendData) }
                if action != .keepGoing { return }
            }
        }
    }

    /// Agrees to binary, suppress-go-ahead and the COM-PORT-OPTION; refuses the rest (ECHO included). Each answer
    /// is sent once, so that two sides offering the same option do not loop.
    private func negotiate(_ verb: UInt8, _ option: UInt8) {
        let supported = [T.binary, T.suppressGoAhead, T.comPortOption].contains(option)
        let reply: UInt8
        switch verb {
        case T.will: reply = supported ? T.doCode : T.dont
        case T.doCode: reply = supported ? T.will : T.wont
        default: return
        }
        let answer = [T.iac, reply, option]
        guard !answered.contains(answer) else { return }
        answered.insert(answer)
        _ = writeRaw(answer)
    }

    /// One COM-PORT-OPTION request; returns false when the connection is gone.
    private func comPortCommand(_ command: UInt8, _ value: [UInt8]) -> Bool {
        switch command {
        case T.Command.setBaudRate.rawValue where value.count == 4:
            let rate = Int(value[0]) << 24 | Int(value[1]) << 16 | Int(value[2]) << 8 | Int(value[3])
            if rate > 0 { lineBaud = rate }  // 0 asks for the current rate
        case T.Command.setControl.rawValue where value.count == 1:
            let (dtr, rts): (Bool?, Bool?) = switch value[0] {
            case T.Control.dtrOn.rawValue: (true, nil)
            case T.Control.dtrOff.rawValue: (false, nil)
            case T.Control.rtsOn.rawValue: (nil, true)
            case T.Control.rtsOff.rawValue: (nil, false)
            default: (nil, nil)
            }
            if dtr != nil || rts != nil { control(dtr: dtr, rts: rts) }
        default:
            break  // data size, parity, stop size, purges, masks: acknowledged as asked
        }
        var reply = value
        if command == T.Command.setBaudRate.rawValue {
            let r = UInt32(lineBaud)
            reply = [UInt8(r >> 24), UInt8(r >> 16 & 0xFF), UInt8(r >> 8 & 0xFF), UInt8(r & 0xFF)]
        }
        var frame: [UInt8] = [T.iac, T.sb, T.comPortOption, command + T.serverOffset]
        for b in reply { frame.append(b); if b == T.iac { frame.append(b) } }
        return writeRaw(frame + [T.iac, T.se])
    }

    /// A DTR or RTS request from the client.
    private func control(dtr: Bool?, rts: Bool?) {
        let now = Clock.now()
        switch server.rfc2217LineMode {
        case .raw:
            scheduled.append((now, dtr, rts))
        case .espResetServer:
            if dtr == false {
                downloadResetActive = false
                scheduled.append((now, false, nil))
            } else if rts == false, !downloadResetActive {
                // esptool HardReset: EN low for 100 ms, released with IO0 high.
                scheduled += [(now, nil, true), (now + 0.1, nil, false)]
            } else if dtr == true, !downloadResetActive {
                // esptool UnixTightReset(0.05), both lines in one step each.
                downloadResetActive = true
                scheduled += [(now, false, false), (now, true, true), (now, false, true), (now + 0.1, true, false),
                              (now + 0.15, false, false), (now + 0.15, false, nil)]
            }
        }
        applyDueLineChanges()
    }

    /// Hands the board every scheduled line change whose time has come.
    private func applyDueLineChanges() {
        let link = server.link
        let now = Clock.now()
        while let next = scheduled.first, next.time <= now {
            scheduled.removeFirst()
            server.locked { link.setControlLines(dtr: next.dtr, rts: next.rts, send: sendData) }
        }
    }

    /// Serial data to the client, 0xFF doubled.
    private func sendData(_ bytes: [UInt8]) -> Bool {
        var escaped: [UInt8] = []
        escaped.reserveCapacity(bytes.count + 16)
        for b in bytes { escaped.append(b); if b == T.iac { escaped.append(b) } }
        return writeRaw(escaped)
    }

    private func writeRaw(_ bytes: [UInt8]) -> Bool { EmulatorServer.writeAll(fd, bytes, isSocket: true) }
}
