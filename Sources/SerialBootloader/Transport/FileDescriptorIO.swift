#if canImport(Glibc)
import Glibc
#endif

/// Blocking-with-timeout reads and complete writes on a file descriptor (socket or tty).
enum FileDescriptorIO {
    static func write(_ fd: Int32, _ bytes: [UInt8], port: String) throws(TransportError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&pfd, 1, 1000)
                    continue
                }
                let kind: TransportError.Kind = (errno == EPIPE || errno == ECONNRESET || errno == EIO) ? .disconnected : .io
                throw TransportError(kind, "\(port): write failed: \(errnoText())")
            }
            done += n
        }
    }

    static func read(_ fd: Int32, maxCount: Int, timeout: Double, port: String) throws(TransportError) -> [UInt8] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, min(timeout, 3600)) * 1000)
        let ready = poll(&pfd, 1, ms)
        if ready < 0 {
            if errno == EINTR { return [] }
            throw TransportError(.io, "\(port): poll failed: \(errnoText())")
        }
        if ready == 0 { return [] }
        var buffer = [UInt8](repeating: 0, count: max(1, maxCount))
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return [] }
            throw TransportError(errno == EIO || errno == ECONNRESET ? .disconnected : .io, "\(port): read failed: \(errnoText())")
        }
        if n == 0 { throw TransportError(.disconnected, "\(port): the other side closed the connection") }
        return Array(buffer[0..<n])
    }
}
