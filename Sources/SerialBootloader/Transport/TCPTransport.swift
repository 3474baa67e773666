#if canImport(Glibc)
import Glibc
#endif

/// `socket://HOST:PORT`: raw TCP to a serial bridge or an emulator. No reset lines, no baud change.
public final class TCPTransport: Transport {
    public let portName: String
    public var canChangeBaudRate: Bool { false }
    public var hasControlLines: Bool { false }
    public private(set) var baudRate = 115_200
    /// -1 once closed.
    private(set) var fd: Int32

    /// Connects to `host:port` (IPv4 or a name resolved by getaddrinfo).
    public init(host: String, port: UInt16, portName: String? = nil, connectTimeout: Double = 5) throws(TransportError) {
        self.portName = portName ?? "socket://\(host):\(port)"
        fd = try Self.connect(host: host, port: port, name: self.portName, timeout: connectTimeout)
    }

    static func connect(host: String, port: UInt16, name: String, timeout: Double) throws(TransportError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw TransportError(.open, "cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        var lastError = "no address"
        var info: UnsafeMutablePointer<addrinfo>? = first
        while let ai = info {
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            if fd >= 0 {
                if Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 {
                    var yes: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
                    var ignore: Int32 = 1
                    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &ignore, socklen_t(MemoryLayout<Int32>.size))
                    #if os(macOS)
                    // No MSG_NOSIGNAL there: the socket itself must not raise SIGPIPE.
                    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &ignore, socklen_t(MemoryLayout<Int32>.size))
                    #endif
                    return fd
                }
                lastError = errnoText()
                Glibc.close(fd)
            }
            info = ai.pointee.ai_next
        }
        throw TransportError(.open, "cannot connect to \(name): \(lastError)")
    }

    public func write(_ bytes: [UInt8]) throws(TransportError) { try FileDescriptorIO.write(fd, bytes, port: portName, isSocket: true) }

    public func read(maxCount: Int, timeout: Double) throws(TransportError) -> [UInt8] {
        try FileDescriptorIO.read(fd, maxCount: maxCount, timeout: timeout, port: portName)
    }

    /// A raw socket cannot change the bridge's UART; only the number is kept.
    public func setBaudRate(_ baud: Int) throws(TransportError) { baudRate = baud }
    public func setControlLines(dtr: Bool?, rts: Bool?) throws(TransportError) {}

    public func discardInput() throws(TransportError) {
        while !(try read(maxCount: 4096, timeout: 0)).isEmpty {}
    }

    /// Closes the socket once; later calls do nothing (a number closed twice could be another port's by then).
    public func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }
}
