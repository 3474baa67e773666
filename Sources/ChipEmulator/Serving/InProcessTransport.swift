import SerialBootloader

/// `virtual://CHIP`: the emulated chip in this process. Writes go straight into the device; its replies wait in
/// a buffer until read. Busy time (erase, program) is simulated by sleeping only if the device has a timing model.
public final class InProcessTransport: Transport {
    public let portName: String
    public let session: EmulatorSession
    public var canChangeBaudRate: Bool { true }
    /// DTR and RTS reach the chip when it sits on a board (`virtual://CHIP?reset=…` or `usb-serial-jtag=1`).
    public var hasControlLines: Bool { session.board != nil }
    public var linesChangeTogether: Bool { true }
    public var answersImmediately: Bool { true }
    public private(set) var baudRate = 115_200
    private var pending: [UInt8] = []
    private var closed = false
    /// File the flash is saved to (`virtual://CHIP?flash=FILE`).
    public var flashFile: String?

    public init(session: EmulatorSession, portName: String) {
        self.session = session
        self.portName = portName
        session.beginConnection()
    }

    public var device: EmulatedDevice { session.device }

    public func write(_ bytes: [UInt8]) throws(TransportError) {
        guard !closed else { throw TransportError(.disconnected, "\(portName) is closed") }
        let action = session.receive(bytes, lineBaud: baudRate) { wire in pending += wire; return true }
        if action != .keepGoing {
            // A fault closed the line: whatever was queued is lost, and the line stays down (as a dropped socket
            // does) until the port is opened again (`reconnect()`, which `EmulatorPortOpener.reopen` calls).
            pending.removeAll()
            closed = true
            throw TransportError(.disconnected, "\(portName): connection closed by the device")
        }
    }

    public func read(maxCount: Int, timeout: Double) throws(TransportError) -> [UInt8] {
        guard !closed else { throw TransportError(.disconnected, "\(portName) is closed") }
        session.tick { wire in pending += wire; return true }
        if pending.isEmpty {
            // Nothing will arrive later in process: honour the timeout's meaning without waiting for real.
            return []
        }
        let n = min(maxCount, pending.count)
        defer { pending.removeFirst(n) }
        return Array(pending.prefix(n))
    }

    public func setBaudRate(_ baud: Int) throws(TransportError) { baudRate = baud }
    public func setControlLines(dtr: Bool?, rts: Bool?) throws(TransportError) {
        session.setControlLines(dtr: dtr, rts: rts) { wire in pending += wire; return true }
    }
    public func discardInput() throws(TransportError) { pending.removeAll() }
    public func close() { closed = true }

    /// Connects the same chip again after a failure or a close: nothing pending, a new connection for the faults.
    public func reconnect() {
        closed = false
        pending.removeAll()
        session.beginConnection()
    }
}
