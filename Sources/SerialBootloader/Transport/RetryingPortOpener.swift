/// An opener that tries to open a port several times, a pause apart, before giving up (esptool's
/// `ESPTOOL_OPEN_PORT_ATTEMPTS` / `open_port_attempts`: a USB port that is not there yet, a chip waking from deep
/// sleep). 0 attempts means keep trying. Reopening and closing go to the wrapped opener unchanged.
public struct RetryingPortOpener: PortOpener {
    public var base: any PortOpener
    public var attempts: Int
    /// esptool waits 0.1 s between attempts.
    public var pause: Double

    public init(_ base: any PortOpener, attempts: Int, pause: Double = 0.1) {
        self.base = base
        self.attempts = attempts
        self.pause = pause
    }

    public func open(_ address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport {
        try open(address, baudRate: baudRate, role: .bootloader)
    }

    public func open(_ address: PortAddress, baudRate: Int, role: PortRole) throws(TransportError) -> any Transport {
        var tried = 0
        while true {
            do throws(TransportError) {
                return try base.open(address, baudRate: baudRate, role: role)
            } catch {
                tried += 1
                if attempts > 0, tried >= attempts { throw error }
                Clock.sleep(seconds: pause)
            }
        }
    }

    public func reopen(_ failed: any Transport, at address: PortAddress, baudRate: Int) throws(TransportError) -> any Transport {
        try base.reopen(failed, at: address, baudRate: baudRate)
    }

    public func close(_ transport: any Transport) throws(TransportError) { try base.close(transport) }
}
