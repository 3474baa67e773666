import CSerialSupport
#if canImport(Glibc)
import Glibc
#endif

/// A local serial device (USB-UART bridge, USB-Serial/JTAG, a pseudo-terminal) through termios: raw 8N1, no flow
/// control, any baud rate including non-standard ones (termios2 with BOTHER), DTR/RTS through modem ioctls (both
/// lines in one TIOCMSET when both change). The port is locked (flock, as pyserial's `exclusive=True` that esptool
/// uses) so that a second program cannot talk to the same chip at once; a vanished device (USB unplugged or
/// re-enumerating) is a `disconnected` error, never an endless stream of empty reads.
public final class SerialPortTransport: Transport {
    public let portName: String
    public var canChangeBaudRate: Bool { true }
    public var hasControlLines: Bool { true }
    public var linesChangeTogether: Bool { true }
    /// The USB ids behind the port (nil for a pty or a non-USB port).
    public let portInfo: SerialPortInfo?
    public private(set) var baudRate: Int
    /// True once a control-line ioctl was refused (a pty has no modem lines): further requests are ignored.
    public private(set) var controlLinesUnsupported = false
    /// -1 once closed.
    private(set) var fd: Int32

    public init(path: String, baudRate: Int = 115_200) throws(TransportError) {
        portName = path
        self.baudRate = baudRate
        fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw TransportError(.open, "cannot open \(path): \(errnoText())") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            let reason = errnoText()
            Glibc.close(fd)
            throw TransportError(.open, busy ? "\(path) is in use by another program (it holds the port's lock)"
                                 : "cannot lock \(path): \(reason)")
        }
        portInfo = SerialPortEnumerator.system().info(forDevice: path)
        var tio = termios()
        guard tcgetattr(fd, &tio) == 0 else {
            let reason = errnoText()
            Glibc.close(fd)
            throw TransportError(.open, "\(path) is not a serial port: \(reason)")
        }
        cfmakeraw(&tio)
        tio.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        tio.c_cflag &= ~(tcflag_t(CSTOPB) | tcflag_t(PARENB) | tcflag_t(CRTSCTS))
        tio.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY))
        withUnsafeMutableBytes(of: &tio.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(fd, TCSANOW, &tio) == 0 else {
            let reason = errnoText()
            Glibc.close(fd)
            throw TransportError(.open, "cannot configure \(path): \(reason)")
        }
        do { try setBaudRate(baudRate) } catch {
            Glibc.close(fd)
            throw error
        }
    }

    public func write(_ bytes: [UInt8]) throws(TransportError) { try FileDescriptorIO.write(fd, bytes, port: portName) }

    /// A tty that poll() calls readable and that then reads 0 bytes has hung up (its device is gone): that is a
    /// `disconnected` error, which the job answers by reopening the path, not an empty read to retry at once.
    public func read(maxCount: Int, timeout: Double) throws(TransportError) -> [UInt8] {
        try FileDescriptorIO.read(fd, maxCount: maxCount, timeout: timeout, port: portName)
    }

    public func setBaudRate(_ baud: Int) throws(TransportError) {
        guard espflash_set_baud(fd, Int32(baud)) == 0 else {
            throw TransportError(.io, "\(portName): cannot set \(baud) baud: \(errnoText())")
        }
        baudRate = baud
    }

    /// One line: TIOCMBIS/TIOCMBIC. Both lines: TIOCMGET then one TIOCMSET, so that they change at the same
    /// instant (esp_pylib `set_dtr_rts`); two ioctls would pass through a state that releases EN with IO0 high.
    public func setControlLines(dtr: Bool?, rts: Bool?) throws(TransportError) {
        guard !controlLinesUnsupported else { return }
        if let dtr, let rts { return try setBothLines(dtr: dtr, rts: rts) }
        let d: Int32 = dtr.map { $0 ? 1 : 0 } ?? -1
        let r: Int32 = rts.map { $0 ? 1 : 0 } ?? -1
        if espflash_set_modem_lines(fd, d, r) != 0 {
            // A pseudo-terminal or a bridge without modem lines: the chip cannot be reset this way (esptool warns
            // "Chip was NOT reset" once and carries on, and so do we).
            if errno == ENOTTY || errno == EINVAL {
                controlLinesUnsupported = true
                return
            }
            throw TransportError(.io, "\(portName): cannot set DTR/RTS: \(errnoText())")
        }
    }

    private func setBothLines(dtr: Bool, rts: Bool) throws(TransportError) {
        if espflash_set_modem_lines_together(fd, dtr ? 1 : 0, rts ? 1 : 0) != 0 {
            if errno == ENOTTY || errno == EINVAL { controlLinesUnsupported = true; return }
            throw TransportError(.io, "\(portName): cannot set DTR/RTS: \(errnoText())")
        }
    }

    public func discardInput() throws(TransportError) { tcflush(fd, TCIFLUSH) }

    /// Closes the descriptor once; later calls do nothing (a number closed twice could be another port's by then).
    public func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }
}
