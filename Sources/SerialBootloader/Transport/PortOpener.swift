/// Opens the transport behind a `PortAddress`. Jobs take an opener rather than opening ports themselves, so that
/// the emulated chips (ChipEmulator's opener, which serves `virtual://`) plug in without SerialBootloader
/// depending on the device side.
public protocol PortOpener: Sendable {
    func open(_ address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport
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
