/// `rfc2217://HOST:PORT`: a serial port served over Telnet with the COM-PORT-OPTION (RFC 2217), as ser2net or
/// esptool's esp_rfc2217_server provide. Baud rate, DTR/RTS and purges travel as subnegotiations; data bytes
/// 0xFF are doubled in both directions.
public final class RFC2217Transport: Transport {
    public let portName: String
    public var canChangeBaudRate: Bool { true }
    public var hasControlLines: Bool { true }
    public private(set) var baudRate: Int
    /// Server acknowledgements seen so far, by RFC 2217 command (server codes are client codes + 100).
    public private(set) var acknowledgements: [UInt8: [[UInt8]]] = [:]
    /// Whether the server agreed to the COM-PORT-OPTION.
    public private(set) var comPortOptionAccepted = false

    let tcp: TCPTransport
    private var parser = TelnetParser()

    // Telnet (RFC 854) and COM-PORT-OPTION (RFC 2217) codes.
    package static let iac: UInt8 = 255, will: UInt8 = 251, wont: UInt8 = 252, doCode: UInt8 = 253, dont: UInt8 = 254
    package static let sb: UInt8 = 250, se: UInt8 = 240
    package static let binary: UInt8 = 0, suppressGoAhead: UInt8 = 3, comPortOption: UInt8 = 44
    package enum Command: UInt8 {
        case setBaudRate = 1, setDataSize = 2, setParity = 3, setStopSize = 4, setControl = 5, purgeData = 12
    }
    package enum Control: UInt8 {
        case noFlowControl = 1, dtrOn = 8, dtrOff = 9, rtsOn = 11, rtsOff = 12
    }
    /// A server's answer to a client command carries the command's code plus 100 (RFC 2217).
    package static let serverOffset: UInt8 = 100

    public init(host: String, port: UInt16, baudRate: Int = 115_200, negotiationTimeout: Double = 2) throws(TransportError) {
        portName = "rfc2217://\(host):\(port)"
        self.baudRate = baudRate
        tcp = try TCPTransport(host: host, port: port, portName: portName)
        try tcp.write([Self.iac, Self.will, Self.comPortOption, Self.iac, Self.doCode, Self.comPortOption,
                       Self.iac, Self.will, Self.binary, Self.iac, Self.doCode, Self.binary,
                       Self.iac, Self.will, Self.suppressGoAhead, Self.iac, Self.doCode, Self.suppressGoAhead])
        // Wait for the server to take the option before configuring the line.
        let deadline = Clock.now() + negotiationTimeout
        var early: [UInt8] = []
        while !comPortOptionAccepted, Clock.now() < deadline {
            early += try readFiltered(maxCount: 4096, timeout: 0.05)
        }
        guard comPortOptionAccepted else {
            tcp.close()
            throw TransportError(.open, "\(portName) did not accept the RFC 2217 COM-PORT-OPTION (is it a raw TCP port? use socket://)")
        }
        try send(.setDataSize, [8])
        try send(.setParity, [1])  // NONE
        try send(.setStopSize, [1])  // 1 stop bit
        try send(.setControl, [Control.noFlowControl.rawValue])
        try setBaudRate(baudRate)
        parser.pendingData = early
    }

    private func send(_ command: Command, _ value: [UInt8]) throws(TransportError) {
        var frame: [UInt8] = [Self.iac, Self.sb, Self.comPortOption, command.rawValue]
        for b in value { frame.append(b); if b == Self.iac { frame.append(b) } }
        frame += [Self.iac, Self.se]
        try tcp.write(frame)
    }

    public func write(_ bytes: [UInt8]) throws(TransportError) {
        guard bytes.contains(Self.iac) else { return try tcp.write(bytes) }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(bytes.count + 8)
        for b in bytes { escaped.append(b); if b == Self.iac { escaped.append(b) } }
        try tcp.write(escaped)
    }

    public func read(maxCount: Int, timeout: Double) throws(TransportError) -> [UInt8] {
        if !parser.pendingData.isEmpty {
            let n = min(maxCount, parser.pendingData.count)
            defer { parser.pendingData.removeFirst(n) }
            return Array(parser.pendingData.prefix(n))
        }
        let deadline = Clock.now() + timeout
        repeat {
            let data = try readFiltered(maxCount: maxCount, timeout: max(0, deadline - Clock.now()))
            if !data.isEmpty { return data }
        } while Clock.now() < deadline
        return []
    }

    /// Reads from TCP, answers negotiation, records acknowledgements, and returns only serial data.
    private func readFiltered(maxCount: Int, timeout: Double) throws(TransportError) -> [UInt8] {
        let raw = try tcp.read(maxCount: maxCount, timeout: timeout)
        let result = parser.feed(raw)
        for (verb, option) in result.negotiations { try answer(verb, option) }
        for sub in result.subnegotiations where sub.first == Self.comPortOption && sub.count >= 2 {
            acknowledgements[sub[1], default: []].append(Array(sub.dropFirst(2)))
        }
        return result.data
    }

    private func answer(_ verb: UInt8, _ option: UInt8) throws(TransportError) {
        let supported = option == Self.comPortOption || option == Self.binary || option == Self.suppressGoAhead
        switch verb {
        case Self.doCode:
            if option == Self.comPortOption { comPortOptionAccepted = true }
            if !supported { try tcp.write([Self.iac, Self.wont, option]) }
        case Self.will:
            if option == Self.comPortOption { comPortOptionAccepted = true }
            if !supported { try tcp.write([Self.iac, Self.dont, option]) }
        default:
            break
        }
    }

    public func setBaudRate(_ baud: Int) throws(TransportError) {
        let b = UInt32(baud)
        try send(.setBaudRate, [UInt8(b >> 24), UInt8(b >> 16 & 0xFF), UInt8(b >> 8 & 0xFF), UInt8(b & 0xFF)])
        baudRate = baud
    }

    public func setControlLines(dtr: Bool?, rts: Bool?) throws(TransportError) {
        if let dtr { try send(.setControl, [dtr ? Control.dtrOn.rawValue : Control.dtrOff.rawValue]) }
        if let rts { try send(.setControl, [rts ? Control.rtsOn.rawValue : Control.rtsOff.rawValue]) }
    }

    public func discardInput() throws(TransportError) {
        try send(.purgeData, [1])  // the server's receive buffer
        parser.pendingData.removeAll()
        while !(try readFiltered(maxCount: 4096, timeout: 0)).isEmpty {}
    }

    public func close() { tcp.close() }
}

/// Splits a Telnet byte stream into data, option negotiations and subnegotiations; keeps state across reads.
package struct TelnetParser {
    package var pendingData: [UInt8] = []
    private var state = State.data
    private var sub: [UInt8] = []
    private var verb: UInt8 = 0

    enum State { case data, command, option, subnegotiation, subnegotiationIAC }

    package init() {}

    package struct Result {
        package var data: [UInt8] = []
        package var negotiations: [(UInt8, UInt8)] = []
        package var subnegotiations: [[UInt8]] = []
    }

    package mutating func feed(_ bytes: [UInt8]) -> Result {
        var result = Result()
        for b in bytes {
            switch state {
            case .data:
                if b == RFC2217Transport.iac { state = .command } else { result.data.append(b) }
            case .command:
                switch b {
                case RFC2217Transport.iac: result.data.append(b); state = .data
                case RFC2217Transport.will, RFC2217Transport.wont, RFC2217Transport.doCode, RFC2217Transport.dont:
                    verb = b; state = .option
                case RFC2217Transport.sb: sub = []; state = .subnegotiation
                default: state = .data  // NOP, GA and the like
                }
            case .option:
                result.negotiations.append((verb, b))
                state = .data
            case .subnegotiation:
                if b == RFC2217Transport.iac { state = .subnegotiationIAC } else { sub.append(b) }
            case .subnegotiationIAC:
                if b == RFC2217Transport.se {
                    result.subnegotiations.append(sub)
                    state = .data
                } else {
                    sub.append(b)  // IAC IAC inside a subnegotiation
                    state = .subnegotiation
                }
            }
        }
        return result
    }
}
