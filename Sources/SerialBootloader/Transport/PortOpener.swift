/// Opens, reopens and releases the transport behind a `PortAddress`. Jobs take an opener rather than opening ports
/// themselves, so that the emulated chips (ChipEmulator's opener, which serves `virtual://`) and a station's own
/// ports plug in without SerialBootloader depending on them.
public protocol PortOpener: Sendable {
    func open(_ address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport
    /// Opens the module's UART that plays `role`. A device path or network port is whatever the user wired it to,
    /// so only an emulated chip (`virtual://`) tells the roles apart.
    func open(_ address: PortAddress, baudRate: Int, role: PortRole) throws(TransportError) -> any Transport
    /// Opens the port again after `failed` broke (a dropped socket, a USB port that re-enumerated). The default
    /// closes `failed` and opens `address` anew; an opener whose ports survive a failure may return `failed` itself.
    func reopen(_ failed: any Transport, at address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport
    /// Done with `transport`: the default closes it (an emulated chip's opener saves its flash first).
    func close(_ transport: any Transport) throws(TransportError)
}

/// Which UART of a module a caller wants.
public enum PortRole: Sendable, Equatable {
    /// UART0 with the chip in ROM download mode: the serial bootloader.
    case bootloader
    /// The AT command UART of a module running the AT firmware it booted from flash.
    case atCommands
}

extension PortOpener {
    public func open(_ address: PortAddress, baudRate: Int, role: PortRole) throws(TransportError) -> any Transport {
        try open(address, baudRate: baudRate)
    }

    public func reopen(_ failed: any Transport, at address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport {
        failed.close()
        return try open(address, baudRate: baudRate)
    }

    public func close(_ transport: any Transport) throws(TransportError) { transport.close() }
}

/// A transport whose chip is emulated in this process and whose flash is kept in a file (`virtual://CHIP?flash=FILE`).
public protocol EmulatedFlashStore: AnyObject {
    /// Writes the emulated flash back to its file (temporary file + rename); nothing when no file was given.
    func save() throws(TransportError)
}

/// The ports of this machine: serial devices, `socket://` and `rfc2217://`. A `virtual://` address is refused:
/// it needs an opener that has the emulated chips.
public struct SystemPortOpener: PortOpener {
    public init() {}

    public func open(_ address: PortAddress, baudRate: Int = 115_200) throws(TransportError) -> any Transport {
        switch address {
        case .serial(let path):
            return try SerialPortTransport(path: path, baudRate: baudRate)
        case .socket(let host, let port):
            return try TCPTransport(host: host, port: port)
        case .rfc2217(let host, let port):
            return try RFC2217Transport(host: host, port: port, baudRate: baudRate)
        case .virtual(let virtual):
            throw TransportError(.open, "\(virtual.description): no emulated chips in this program")
        }
    }
}
