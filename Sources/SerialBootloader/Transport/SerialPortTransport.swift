import CSerialSupport
#if canImport(Glibc)
import Glibc
#endif

/// A local serial device (USB-UART bridge, USB-Serial/JTAG, a pseudo-terminal) through termios: raw 8N1, no flow
/// control, any baud rate including non-standard ones (termios2 with BOTHER), DTR/RTS through modem ioctls.
public final class SerialPortTransport: Transport {
    public let portName: String
    public var canChangeBaudRate: Bool { true }
    public var hasControlLines: Bool { true }
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

    public func read(maxCount: Int, timeout: Double) throws(TransportError) -> [UInt8] {
        do {
            return try FileDescriptorIO.read(fd, maxCount: maxCount, timeout: timeout, port: portName)
        } catch where error.kind == .disconnected && error.message.contains("closed the connection") {
            return []  // a tty read of 0 bytes is "nothing yet", not end of stream
        }
    }

    public func setBaudRate(_ baud: Int) throws(TransportError) {
        guard espflash_set_baud(fd, Int32(baud)) == 0 else {
            throw TransportError(.io, "\(portName): cannot set \(baud) baud: \(errnoText())")
        }
        baudRate = baud
    }

    public func setControlLines(dtr: Bool?, rts: Bool?) throws(TransportError) {
        guard !controlLinesUnsupported else { return }
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

    /// Both lines in one ioctl, for esptool's "unix tight" reset sequence.
    public func setControlLinesTogether(dtr: Bool, rts: Bool) throws(TransportError) {
        guard !controlLinesUnsupported else { return }
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
