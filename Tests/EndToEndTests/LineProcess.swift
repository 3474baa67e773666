import Foundation
import Synchronization
import TestSupport

/// A value shared with a reader thread.
final class Shared<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// A CLI process whose stdout lines are read as they come, each with the moment it arrived (for latencies), and
/// whose stderr goes to a file.
final class LineProcess: @unchecked Sendable {
    let process = Process()
    private let lines = Shared<[(at: Date, text: String)]>([])
    private let reader: Thread
    let stderrPath: String

    init(_ arguments: [String], stderrPath: String) throws {
        self.stderrPath = stderrPath
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        let handle = pipe.fileHandleForReading
        let lines = self.lines
        reader = Thread {
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                let now = Date()
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending = Data(pending[pending.index(after: newline)...])
                    lines.withLock { $0.append((now, line)) }
                }
            }
        }
        try process.run()
        reader.start()
    }

    var output: [(at: Date, text: String)] { lines.withLock { $0 } }

    /// stdout lines that are JSON events, with their arrival times.
    var events: [(at: Date, event: [String: Any])] {
        output.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.text.utf8)) as? [String: Any]).map { (line.at, $0) }
        }
    }

    func count(_ name: String) -> Int { events.filter { $0.event["event"] as? String == name }.count }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// stderr and the last stdout lines, for a failure's message.
    var tail: String { stderr + output.suffix(6).map(\.text).joined(separator: "\n") }

    /// Waits for the process to exit (at most `seconds`, then kills it) and for its output to be read; polls with
    /// Task.sleep, so that the cooperative pool stays free meanwhile.
    @discardableResult
    func wait(seconds: Double = 300) async -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try? await Task.sleep(nanoseconds: 20_000_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        return (try? await offPool { self.reap() }) ?? -1
    }

    private func reap() -> Int32 {
        process.waitUntilExit()
        // The reader ends at end-of-file. Should some other process still hold the pipe's write end, the lines read
        // so far are what there is: the test goes on rather than waiting for ever.
        let deadline = Date().addingTimeInterval(10)
        while !reader.isFinished, Date() < deadline { usleep(5_000) }
        return process.terminationStatus
    }

    /// Kills the process and waits for it (a moment: it cannot refuse SIGKILL).
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        _ = reap()
    }

    /// Waits until `condition` holds (true) or `seconds` pass or the process exits (false).
    func waitUntil(seconds: Double = 120, _ condition: (LineProcess) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(self) { return true }
            if !process.isRunning { return condition(self) }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return false
    }
}

/// A raw HTTP/1.1 client reading a server-sent-event stream: every event with the moment it arrived.
final class EventStreamClient: @unchecked Sendable {
    private let fd: Int32
    private let received = Shared<[(at: Date, name: String, data: String)]>([])
    private let reader: Thread
    let status = Shared<String>("")

    init(port: Int, path: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CocoaError(.fileReadUnknown) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\nConnection: keep-alive\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        let socket = fd
        let received = self.received
        let status = self.status
        reader = Thread {
            var parser = EventStreamParser()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = recv(socket, &buffer, buffer.count, 0)
                if n <= 0 { break }
                let now = Date()
                let events = parser.feed(buffer[0..<n])
                if let header = parser.header { status.withLock { $0 = header } }
                if !events.isEmpty { received.withLock { $0 += events.map { (now, $0.name, $0.data) } } }
            }
        }
        reader.start()
    }

    var events: [(at: Date, name: String, data: String)] { received.withLock { $0 } }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        while !reader.isFinished { usleep(5_000) }
        Glibc.close(fd)
    }
}

/// The bytes of an HTTP/1.1 response carrying server-sent events, taken apart as they come: the header, the chunked
/// transfer coding, then events (blank-line separated, `event:` and `data:` lines). Bytes, not Swift Strings: in a
/// String "\r\n" is one Character, which would hide the line breaks around the chunk sizes.
struct EventStreamParser {
    private(set) var header: String?
    private var raw: [UInt8] = []
    private var body: [UInt8] = []
    private var chunked = false

    mutating func feed(_ bytes: ArraySlice<UInt8>) -> [(name: String, data: String)] {
        raw += bytes
        if header == nil {
            guard let end = Self.find([13, 10, 13, 10], in: raw) else { return [] }
            let text = String(decoding: raw[..<end], as: UTF8.self)
            header = text
            chunked = text.lowercased().contains("transfer-encoding: chunked")
            raw.removeSubrange(..<(end + 4))
        }
        if chunked {
            // Each chunk: hex size, CRLF, that many bytes, CRLF.
            while let lineEnd = Self.find([13, 10], in: raw) {
                let sizeText = String(decoding: raw[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { break }
                guard raw.count >= lineEnd + 2 + size + 2 else { break }
                body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
                raw.removeSubrange(..<(lineEnd + 2 + size + 2))
            }
        } else {
            body += raw
            raw = []
        }
        var events: [(name: String, data: String)] = []
        while let end = Self.find([10, 10], in: body) {
            let block = String(decoding: body[..<end], as: UTF8.self)
            body.removeSubrange(..<(end + 2))
            var name: String?
            var data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("event:") { name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("data:") { data.append(String(line.dropFirst(line.hasPrefix("data: ") ? 6 : 5))) }
            }
            // A comment-only block (keep-alive) is no event.
            if name != nil || !data.isEmpty { events.append((name ?? "message", data.joined(separator: "\n"))) }
        }
        return events
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
