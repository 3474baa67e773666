/// Splits what an AT firmware sends into lines, the `>` data prompt and length-prefixed binary payloads, byte by
/// byte: feed it whatever a read returned (any split, even one byte at a time) and it returns the complete events.
/// It does no I/O and keeps no clock; `ATExchange` decides what each line means.
///
/// Binary payloads matter because they may contain `OK\r\n`: a `+SYSFLASH:<n>,` (or `+FS:<n>,`) reply carries `n`
/// raw bytes, and an unsolicited `+IPD,…,<n>:` carries `n` bytes of network data. Both are read by count, so
/// nothing inside them is ever taken for a line.
public struct ATFramer: Sendable {
    public enum Event: Sendable, Equatable {
        /// A complete line without its line end; never empty or all blanks.
        case line(String)
        /// The `>` that asks for a command's data.
        case prompt
        /// `PREFIX:<n>,` followed by `n` raw bytes: the prefix (`+SYSFLASH`) and the bytes.
        case payload(prefix: String, bytes: [UInt8])
        /// `+IPD,…,<n>:` followed by `n` bytes: the header up to the colon and the bytes.
        case networkData(header: String, bytes: [UInt8])
    }

    /// A line longer than this is cut and delivered in pieces (a module printing garbage at the wrong baud rate
    /// must not grow the buffer without limit).
    public static let maxLineLength = 4096
    /// The largest payload a length prefix may announce; a larger number is not a payload header.
    public static let maxPayloadLength = 1 << 24

    /// The reply prefix (such as `+SYSFLASH`) whose `PREFIX:<n>,` lines announce `n` raw bytes; nil for none.
    public var payloadPrefix: String?
    /// Whether a `>` at the start of a line is the data prompt (only while a command waits for one).
    public var promptExpected = false

    private var line: [UInt8] = []
    private var raw: RawRead?

    private struct RawRead: Sendable {
        var header: String
        var isNetwork: Bool
        var remaining: Int
        var bytes: [UInt8]
    }

    public init(payloadPrefix: String? = nil) {
        self.payloadPrefix = payloadPrefix
    }

    /// Whether part of a line or payload is buffered (the stream stopped in the middle of something).
    public var isMidEvent: Bool { raw != nil || !line.isEmpty }

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes { feed(byte, into: &events) }
        return events
    }

    private mutating func feed(_ byte: UInt8, into events: inout [Event]) {
        if var read = raw {
            read.bytes.append(byte)
            read.remaining -= 1
            if read.remaining == 0 {
                events.append(read.isNetwork ? .networkData(header: read.header, bytes: read.bytes)
                                             : .payload(prefix: read.header, bytes: read.bytes))
                raw = nil
            } else {
                raw = read
            }
            return
        }
        if byte == UInt8(ascii: "\n") {
            finishLine(into: &events)
            return
        }
        line.append(byte)
        if promptExpected, line == [UInt8(ascii: ">")] {
            events.append(.prompt)
            line.removeAll()
            return
        }
        if byte == UInt8(ascii: ","), let prefix = payloadPrefix, let count = payloadLength(prefix: prefix) {
            line.removeAll()
            startRaw(header: prefix, isNetwork: false, count: count, into: &events)
        } else if byte == UInt8(ascii: ":"), let count = networkDataLength() {
            let header = String(decoding: line.dropLast(), as: UTF8.self)
            line.removeAll()
            startRaw(header: header, isNetwork: true, count: count, into: &events)
        } else if line.count >= Self.maxLineLength {
            finishLine(into: &events)
        }
    }

    private mutating func startRaw(header: String, isNetwork: Bool, count: Int, into events: inout [Event]) {
        if count == 0 {
            events.append(isNetwork ? .networkData(header: header, bytes: []) : .payload(prefix: header, bytes: []))
        } else {
            raw = RawRead(header: header, isNetwork: isNetwork, remaining: count, bytes: [])
            raw?.bytes.reserveCapacity(count)
        }
    }

    private mutating func finishLine(into events: inout [Event]) {
        defer { line.removeAll(keepingCapacity: true) }
        var end = line.count
        while end > 0, line[end - 1] == 13 || line[end - 1] == 32 { end -= 1 }
        var start = 0
        while start < end, line[start] == 13 { start += 1 }
        guard start < end else { return }
        events.append(.line(String(decoding: line[start..<end], as: UTF8.self)))
    }

    /// `PREFIX:` + 1…8 digits + `,` (the comma just appended): the announced length.
    private func payloadLength(prefix: String) -> Int? {
        let head = Array(prefix.utf8) + [UInt8(ascii: ":")]
        guard line.count > head.count + 1, line.starts(with: head) else { return nil }
        let digits = line[head.count..<(line.count - 1)]
        guard digits.count <= 8, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        return value <= Self.maxPayloadLength ? value : nil
    }

    /// `+IPD,<len>:`, `+IPD,<id>,<len>:`, `+IPD,<len>,"ip",port:` or `+IPD,<id>,<len>,"ip",port:` (the colon just
    /// appended): the data length. Passive-mode `+IPD,<id>,<len>` lines end with CR LF instead and stay lines.
    private func networkDataLength() -> Int? {
        let head = Array("+IPD,".utf8)
        guard line.count > head.count + 1, line.starts(with: head) else { return nil }
        // A colon inside the quoted remote address (IPv6) is not the end of the header.
        guard line.reduce(0, { $0 + ($1 == UInt8(ascii: "\"") ? 1 : 0) }) % 2 == 0 else { return nil }
        let fields = ATFields.split(String(decoding: line[head.count..<(line.count - 1)], as: UTF8.self))
        let lengthIndex: Int
        switch fields.count {
        case 1, 3: lengthIndex = 0
        case 2, 4: lengthIndex = 1
        default: return nil
        }
        guard let length = Int(fields[lengthIndex]), length >= 0, length <= Self.maxPayloadLength else { return nil }
        return length
    }
}
