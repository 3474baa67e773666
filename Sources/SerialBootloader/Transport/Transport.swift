/// A byte pipe to a chip's ROM loader: a serial port, a TCP socket, an RFC 2217 server or the in-process
/// emulated chip. Reads return what has arrived, waiting at most `timeout` seconds; an empty result means
/// nothing came in time.
public protocol Transport: AnyObject {
    /// How the port was named (`/dev/ttyUSB0`, `socket://127.0.0.1:5555`, `virtual://esp32`).
    var portName: String { get }
    /// Whether `setBaudRate` really changes the line rate (false for raw TCP).
    var canChangeBaudRate: Bool { get }
    /// Whether DTR/RTS reach the chip (false for raw TCP and the emulator).
    var hasControlLines: Bool { get }
    var baudRate: Int { get }
    /// Whether the other end answers within the write call (the in-process emulated chip): waiting for a reply
    /// that is not there yet is pointless, so timeouts shrink to nothing.
    var answersImmediately: Bool { get }
    /// Whether DTR and RTS can change in one step (a local serial port's TIOCMSET); RFC 2217 sends one line at a time.
    var linesChangeTogether: Bool { get }
    /// What the system says about the port (USB vendor and product id, ...), when it is a local serial port that
    /// sysfs knows: how a chip's own USB-Serial/JTAG (303A:1001) is told from a USB-UART bridge.
    var portInfo: SerialPortInfo? { get }

    func write(_ bytes: [UInt8]) throws(TransportError)
    func read(maxCount: Int, timeout: Double) throws(TransportError) -> [UInt8]
    func setBaudRate(_ baud: Int) throws(TransportError)
    /// Asserts (true) or releases (false) DTR and RTS; nil leaves a line alone. With both given, a transport whose
    /// `linesChangeTogether` is true changes them in one step; others change DTR, then RTS.
    func setControlLines(dtr: Bool?, rts: Bool?) throws(TransportError)
    /// Drops bytes received but not yet read.
    func discardInput() throws(TransportError)
    func close()
}

extension Transport {
    public var answersImmediately: Bool { false }
    /// Whether DTR and RTS can change in one step (a local serial port's TIOCMSET); RFC 2217 sends one line at a time.
    public var linesChangeTogether: Bool { false }
    /// What the system says about the port; nil unless it is a local serial port.
    public var portInfo: SerialPortInfo? { nil }
}

/// Why a transport failed. `disconnected` means the other side went away (a cable pulled, a server closed).
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case open, io, disconnected, unsupported }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
