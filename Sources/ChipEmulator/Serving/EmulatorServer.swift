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
    /// The client set DTR and/or RTS (RFC 2217 SET-CONTROL); what the chip prints in response goes to `send`.
    func setControlLines(dtr: Bool?, rts: Bool?, send: ([UInt8]) -> Bool)
    /// Time passed with nothing received; anything the chip prints goes to `send`.
    func tick(send: ([UInt8]) -> Bool)
    /// When `tick` next has work (nil: only when something arrives).
    var nextDeadline: Double? { get }
}

extension EmulatedLink {
    public func setControlLines(dtr: Bool?, rts: Bool?, send: ([UInt8]) -> Bool) {}
    public func tick(send: ([UInt8]) -> Bool) {}
    public var nextDeadline: Double? { nil }
}

extension EmulatorSession: EmulatedLink {
    public func beginConnection(send: ([UInt8]) -> Bool) { beginConnection() }
}

/// Serves an emulated chip on a TCP port (`socket://`), an RFC 2217 port (`rfc2217://`, DTR/RTS and the baud rate
/// reach the chip) or a pseudo-terminal until `shouldStop` turns true. A pty can be put behind a stable path
/// (`ptyLink`), where it comes back as a new pty after the link asks for a re-enumeration.
public final class EmulatorServer {
    public enum Endpoint: Sendable {
        case tcp(host: String, port: UInt16)
        /// RFC 2217 (Telnet COM-PORT-OPTION): the client's SET-CONTROL requests drive the chip's DTR/RTS.
        case rfc2217(host: String, port: UInt16)
        /// A new pseudo-terminal; with `link`, a symlink at that path always names the current one.
        case pty(link: String?)

        public static let pty = Endpoint.pty(link: nil)
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let link: any EmulatedLink
    private var listenFD: Int32 = -1
    private var isRFC2217 = false
    private var ptyMaster: Int32 = -1
    private var ptySlave: Int32 = -1
    private var ptyLink: String?
    /// What a client connects to: `socket://127.0.0.1:PORT`, `rfc2217://127.0.0.1:PORT`, the pty path or its link.
    public private(set) var connectString = ""
    /// The current pty's own path (changes when it re-enumerates).
    public private(set) var ptyPath = ""
    /// Times the pty vanished and came back.
    public private(set) var reenumerations = 0

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
        if let ptyLink { unlink(ptyLink) }
    }

    /// Opens the endpoint; after this `connectString` is valid.
    public func open(_ endpoint: Endpoint) throws(Failure) {
        switch endpoint {
        case .tcp(let host, let port): try openTCP(host: host, port: port, scheme: "socket")
        case .rfc2217(let host, let port):
            isRFC2217 = true
            try openTCP(host: host, port: port, scheme: "rfc2217")
        case .pty(let link):
            ptyLink = link
            try openPTY()
        }
    }

    private func openTCP(host: String, port: UInt16, scheme: String) throws(Failure) {
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
        // Clients beyond the one being served wait in the accept queue rather than in SYN retries.
        guard listen(listenFD, 128) == 0 else { throw Failure(description: "listen: \(errnoText())") }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &length) } }
        connectString = "\(scheme)://\(resolved):\(UInt16(bigEndian: actual.sin_port))"
    }

    private func openPTY() throws(Failure) {
        var name = [CChar](repeating: 0, count: 128)
        ptyMaster = espflash_open_pty(&name, name.count)
        guard ptyMaster >= 0 else { throw Failure(description: "cannot open a pseudo-terminal: \(errnoText())") }
        ptyPath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Holding the slave open keeps the master readable between clients (no EIO when a client closes).
        ptySlave = Glibc.open(ptyPath, O_RDWR | O_NOCTTY)
        guard ptySlave >= 0 else { throw Failure(description: "open \(ptyPath): \(errnoText())") }
        var tio = termios()
        tcgetattr(ptySlave, &tio)
        cfmakeraw(&tio)
        tcsetattr(ptySlave, TCSANOW, &tio)
        for fd in [ptyMaster] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        connectString = ptyPath
        if let ptyLink {
            // Replace the link in one step: a client never sees it missing while it names a live pty.
            let temp = ptyLink + ".new-\(getpid())"
            unlink(temp)
            guard symlink(ptyPath, temp) == 0, rename(temp, ptyLink) == 0 else {
                throw Failure(description: "cannot link \(ptyLink) to \(ptyPath): \(errnoText())")
            }
            connectString = ptyLink
        }
    }

    /// The port vanishes as a USB port does when its board resets: the pty closes under its client (which reads a
    /// hang-up), the link disappears, and after a moment a new pty appears behind the same link.
    private func reenumerate() {
        for fd in [ptyMaster, ptySlave] where fd >= 0 { close(fd) }
        ptyMaster = -1
        ptySlave = -1
        if let ptyLink { unlink(ptyLink) }
        Clock.sleep(seconds: Self.reenumerationTime)
        reenumerations += 1
        do { try openPTY() } catch { ptyMaster = -1 }
    }

    /// How long the port is gone when it re-enumerates.
    public static let reenumerationTime = 0.5

    /// The output speed a client set on the pseudo-terminal (a termios `speed_t` code such as `B921600`), so tests
    /// can see that a baud change made through a serial server reached the line; nil when not serving a pty.
    public var ptySpeedCode: UInt32? {
        guard ptySlave >= 0 else { return nil }
        var tio = termios()
        guard tcgetattr(ptySlave, &tio) == 0 else { return nil }
        return UInt32(cfgetospeed(&tio))
    }

    /// The rate a client set on the pty in bits per second, any rate (termios2).
    public var ptyBaudRate: Int? {
        guard ptySlave >= 0 else { return nil }
        let rate = espflash_get_baud(ptySlave)
        return rate > 0 ? Int(rate) : nil
    }

    /// Serves clients until `shouldStop()` returns true (checked at least every 100 ms).
    public func run(shouldStop: () -> Bool) {
        if ptyMaster >= 0 || ptyLink != nil {
            locked { link.beginConnection { Self.writeAll(ptyMaster, $0, isSocket: false) } }
            servePTY(shouldStop: shouldStop)
            return
        }
        while !shouldStop() {
            // No client: the chip still lives (EN rising, a watchdog); what it prints goes nowhere.
            guard waitForInput(listenFD, send: { _ in true }) else { continue }
            let client = accept(listenFD, nil, nil)
            guard client >= 0 else { continue }
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            if isRFC2217 {
                RFC2217Connection(fd: client, server: self).serve(shouldStop: shouldStop)
            } else {
                locked { link.beginConnection { Self.writeAll(client, $0, isSocket: true) } }
                serveSocket(client, shouldStop: shouldStop)
            }
            close(client)
        }
    }

    /// How an RFC 2217 client's DTR/RTS reach the chip (esptool's esp_rfc2217_server by default).
    public var rfc2217LineMode = RFC2217LineMode.espResetServer

    public enum RFC2217LineMode: Sendable {
        /// Each SET-CONTROL reaches the chip's lines as it arrives, as through ser2net.
        case raw
        /// As esptool's esp_rfc2217_server: a reset sequence is recognised and run server-side with its timing.
        case espResetServer
    }

    /// Waits for input on `fd` at most until the link's next deadline, `until`, or 100 ms; returns whether it is
    /// readable.
    func waitForInput(_ fd: Int32, until: Double? = nil, send: ([UInt8]) -> Bool) -> Bool {
        let deadline = [locked { link.nextDeadline }, until].compactMap { $0 }.min()
        let ms = deadline.map { max(0, min(100, Int32(($0 - Clock.now()) * 1000) + 1)) } ?? 100
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, ms)
        if deadline != nil { locked { link.tick(send: send) } }
        return ready > 0
    }

    /// Seconds a TCP client may sit idle before a new connection takes the chip over (as a serial port opened
    /// again by another program): one client at a time is served, and an idle or dead one must not lock out the rest.
    public var idleTakeover = 1.0

    private func serveSocket(_ fd: Int32, shouldStop: () -> Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let send: ([UInt8]) -> Bool = { Self.writeAll(fd, $0, isSocket: true) }
        var lastActivity = Clock.now()
        while !shouldStop() {
            guard waitForInput(fd, send: send) else {
                if Clock.now() - lastActivity >= idleTakeover, Self.hasPendingConnection(listenFD) { return }
                continue
            }
            lastActivity = Clock.now()
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EAGAIN || errno == EINTR { continue }
            if n <= 0 { return }
            if locked({ link.receive(Array(buffer[0..<n]), lineBaud: nil, send: send) }) != .keepGoing { return }
        }
    }

    private func servePTY(shouldStop: () -> Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !shouldStop() {
            let fd = ptyMaster
            guard fd >= 0 else { Clock.sleep(seconds: 0.1); continue }
            let send: ([UInt8]) -> Bool = { Self.writeAll(fd, $0, isSocket: false) }
            guard waitForInput(fd, send: send) else { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            // No client on the other side yet (EIO), or nothing after all: wait.
            if n <= 0 { Clock.sleep(seconds: 0.02); continue }
            let action = locked { link.receive(Array(buffer[0..<n]), lineBaud: ptyBaudRate, send: send) }
            switch action {
            case .keepGoing: break
            case .disconnect:
                // A pty cannot be closed under the client; drop what is pending and keep serving.
                locked { link.beginConnection(send: send) }
            case .reenumerate:
                if ptyLink != nil { reenumerate() }
                locked { link.beginConnection { Self.writeAll(ptyMaster, $0, isSocket: false) } }
            }
        }
    }

    /// Whether a client waits in the listen queue.
    static func hasPendingConnection(_ listenFD: Int32) -> Bool {
        var pfd = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
        return listenFD >= 0 && poll(&pfd, 1, 0) > 0
    }

    func locked<T>(_ body: () -> T) -> T {
        guard let lock else { return body() }
        return lock.withLock(body)
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

