import SerialBootloader
import CSerialSupport
#if canImport(Glibc)
import Glibc
#endif

/// One side of an emulated chip that a server can put on a TCP port or a pseudo-terminal: the ROM loader on UART0
/// (`EmulatorSession`) or the AT firmware's UART (`ATLinkSession`).
public protocol EmulatedLink: AnyObject {
    /// A client connected (or the pty opened): start over; `send` takes what the chip says first.
    func beginConnection(send: ([UInt8]) -> Bool)
    /// Bytes from the client, which set its line to `lineBaud` (nil when unknown, as over TCP); replies go to `send`.
    func receive(_ bytes: [UInt8], lineBaud: Int?, send: ([UInt8]) -> Bool) -> EmulatorSession.Action
}

extension EmulatorSession: EmulatedLink {
    public func beginConnection(send: ([UInt8]) -> Bool) { beginConnection() }
    public func receive(_ bytes: [UInt8], lineBaud: Int?, send: ([UInt8]) -> Bool) -> Action { receive(bytes, send: send) }
}

/// Serves an emulated chip on a TCP port (`socket://`) or a pseudo-terminal until `shouldStop` turns true.
public final class EmulatorServer {
    public enum Endpoint: Sendable {
        case tcp(host: String, port: UInt16)
        case pty
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let link: any EmulatedLink
    private var listenFD: Int32 = -1
    private var ptyMaster: Int32 = -1
    private var ptySlave: Int32 = -1
    /// What a client connects to: `socket://127.0.0.1:PORT` or the pty path.
    public private(set) var connectString = ""

    public init(session: EmulatorSession) {
        self.link = session
    }

    public init(link: any EmulatedLink) {
        self.link = link
    }

    /// Serialises this server's work with another's when two serve one chip (download UART and AT UART).
    public var lock: DeviceLock?

    deinit {
        for fd in [listenFD, ptyMaster, ptySlave] where fd >= 0 { close(fd) }
    }

    /// Opens the endpoint; after this `connectString` is valid.
    public func open(_ endpoint: Endpoint) throws(Failure) {
        switch endpoint {
        case .tcp(let host, let port): try openTCP(host: host, port: port)
        case .pty: try openPTY()
        }
    }

    private func openTCP(host: String, port: UInt16) throws(Failure) {
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listenFD >= 0 else { throw Failure(description: "socket: \(errnoText())") }
        var yes: Int32 = 1
        setsockopt(listenFD, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        let resolved = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, resolved, &addr.sin_addr) == 1 else { throw Failure(description: "not an IPv4 address: \(host)") }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0 else { throw Failure(description: "cannot listen on \(host):\(port): \(errnoText())") }
        guard listen(listenFD, 4) == 0 else { throw Failure(description: "listen: \(errnoText())") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &length) } }
        connectString = "socket://\(resolved):\(UInt16(bigEndian: actual.sin_port))"
    }

    private func openPTY() throws(Failure) {
        var name = [CChar](repeating: 0, count: 128)
        ptyMaster = espflash_open_pty(&name, name.count)
        guard ptyMaster >= 0 else { throw Failure(description: "cannot open a pseudo-terminal: \(errnoText())") }
        connectString = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Holding the slave open keeps the master readable between clients (no EIO when a client closes).
        ptySlave = Glibc.open(connectString, O_RDWR | O_NOCTTY)
        guard ptySlave >= 0 else { throw Failure(description: "open \(connectString): \(errnoText())") }
        var tio = termios()
        tcgetattr(ptySlave, &tio)
        cfmakeraw(&tio)
        tcsetattr(ptySlave, TCSANOW, &tio)
        for fd in [ptyMaster] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    /// The output speed a client set on the pseudo-terminal (a termios `speed_t` code such as `B921600`), so tests
    /// can see that a baud change made through a serial server reached the line; nil when not serving a pty.
    public var ptySpeedCode: UInt32? {
        guard ptySlave >= 0 else { return nil }
        var tio = termios()
        guard tcgetattr(ptySlave, &tio) == 0 else { return nil }
        return UInt32(cfgetospeed(&tio))
    }

    /// Serves clients until `shouldStop()` returns true (checked at least every 100 ms).
    public func run(shouldStop: () -> Bool) {
        if ptyMaster >= 0 {
            locked { link.beginConnection { Self.writeAll(ptyMaster, $0, isSocket: false) } }
            serve(fd: ptyMaster, shouldStop: shouldStop, isPTY: true)
            return
        }
        while !shouldStop() {
            var pfd = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            let client = accept(listenFD, nil, nil)
            guard client >= 0 else { continue }
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            locked { link.beginConnection { Self.writeAll(client, $0, isSocket: true) } }
            serve(fd: client, shouldStop: shouldStop, isPTY: false)
            close(client)
        }
    }

    /// Seconds a TCP client may sit idle before a new connection takes the chip over (as a serial port opened
    /// again by another program): one client at a time is served, and an idle or dead one must not lock out the rest.
    public var idleTakeover = 1.0

    private func serve(fd: Int32, shouldStop: () -> Bool, isPTY: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var lastActivity = Clock.now()
        while !shouldStop() {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 100)
            if ready <= 0 {
                if !isPTY, Clock.now() - lastActivity >= idleTakeover, Self.hasPendingConnection(listenFD) { return }
                continue
            }
            lastActivity = Clock.now()
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                if isPTY { Clock.sleep(seconds: 0.02); continue }  // no client on the other side yet
                return
            }
            if n == 0 {
                if isPTY { Clock.sleep(seconds: 0.02); continue }
                return
            }
            let baud = isPTY ? ptySpeedCode.flatMap(Self.baudRate(speedCode:)) : nil
            let action = locked { link.receive(Array(buffer[0..<n]), lineBaud: baud) { wire in Self.writeAll(fd, wire, isSocket: !isPTY) } }
            if action == .disconnect {
                if isPTY {
                    // A pty cannot be closed under the client; drop what is pending and keep serving.
                    locked { link.beginConnection { Self.writeAll(fd, $0, isSocket: false) } }
                    continue
                }
                return
            }
        }
    }

    /// Whether a client waits in the listen queue.
    static func hasPendingConnection(_ listenFD: Int32) -> Bool {
        var pfd = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
        return listenFD >= 0 && poll(&pfd, 1, 0) > 0
    }

    private func locked<T>(_ body: () -> T) -> T {
        guard let lock else { return body() }
        return lock.withLock(body)
    }

    /// The bits per second of a termios speed code (B9600 …); nil for codes not listed.
    static func baudRate(speedCode: UInt32) -> Int? {
        let table: [(speed_t, Int)] = [
            (speed_t(B9600), 9600), (speed_t(B19200), 19200), (speed_t(B38400), 38400), (speed_t(B57600), 57600),
            (speed_t(B115200), 115_200), (speed_t(B230400), 230_400), (speed_t(B460800), 460_800),
            (speed_t(B921600), 921_600), (speed_t(B1500000), 1_500_000), (speed_t(B2000000), 2_000_000),
            (speed_t(B3000000), 3_000_000),
        ]
        return table.first { UInt32($0.0) == speedCode }?.1
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], isSocket: Bool) -> Bool {
        var done = 0
        while done < bytes.count {
            // send(MSG_NOSIGNAL) on a socket: a client that hung up gives EPIPE, not a SIGPIPE that kills the server.
            let n = bytes.withUnsafeBytes { buffer in
                isSocket ? send(fd, buffer.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
                    : write(fd, buffer.baseAddress! + done, bytes.count - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&pfd, 1, 100)
                    continue
                }
                return false
            }
            done += n
        }
        return true
    }
}

