#if canImport(Glibc)
import Glibc
#endif

/// Blocking-with-timeout reads and complete writes on a file descriptor (socket or tty).
enum FileDescriptorIO {
    /// Writes all of `bytes`. On a socket it uses send(MSG_NOSIGNAL): a peer that closed the connection gives
    /// EPIPE (a `disconnected` error the job recovers from), never a SIGPIPE that would kill a library user's process.
    static func write(_ fd: Int32, _ bytes: [UInt8], port: String, isSocket: Bool = false) throws(TransportError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                isSocket ? Glibc.send(fd, buffer.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
                    : Glibc.write(fd, buffer.baseAddress! + done, bytes.count - done)
            }
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
        if n == 0 {
            // A tty reads 0 bytes when nothing is there; with POLLHUP its device is gone (a USB port unplugged).
            if pfd.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                throw TransportError(.disconnected, "\(port): the device hung up")
            }
            throw TransportError(.disconnected, "\(port): the other side closed the connection")
        }
        return Array(buffer[0..<n])
    }
}
