import SerialBootloader

/// Why an AT command did not give a usable reply.
public struct ATError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No final result within the command's timeout.
        case timeout
        /// The firmware answered ERROR (with the code it printed, if any).
        case error
        /// The firmware answered `busy p...`.
        case busy
        /// The reply did not have the form the command's documentation gives.
        case badReply
        /// The port failed.
        case transport
    }

    public let kind: Kind
    public let command: String
    public let message: String
    /// What arrived before the failure (information lines), for the report.
    public let partial: [String]
    public let errorCode: UInt32?

    public init(_ kind: Kind, command: String, _ message: String, partial: [String] = [], errorCode: UInt32? = nil) {
        self.kind = kind
        self.command = command
        self.message = message
        self.partial = partial
        self.errorCode = errorCode
    }

    public var description: String {
        var text = "\(command): \(message)"
        if let errorCode { text += " (ERR CODE:0x\(String(errorCode, radix: 16, uppercase: false).leftPadded(8)))" }
        return text
    }
}

/// What the client saw besides responses, for a caller that shows or records it.
public enum ATEvent: Sendable, Equatable {
    case sent(String)
    case unsolicited(String)
    case networkData(header: String, count: Int)
    case stale(String)
}

/// Talks to an AT firmware over a `Transport`: sends command lines, feeds the bytes that come back through
/// `ATFramer` and `ATExchange`, waits at most each command's timeout, answers the `>` prompt with the data.
/// Unsolicited lines are collected (`unsolicited`) and reported (`onEvent`), never returned as responses.
public final class ATClient {
    public let transport: any Transport
    public private(set) var echo: ATEcho = .unknown
    /// Unsolicited lines seen so far (`ready`, `WIFI GOT IP`, boot output …).
    public private(set) var unsolicited: [String] = []
    public var onEvent: ((ATEvent) -> Void)?
    /// Longest single wait inside a command, so a slow port is polled rather than blocked on.
    public var pollInterval = 0.05
    /// After a timeout the line may still carry the late answer: the next command first waits this long for quiet.
    public var settleAfterTimeout = 0.3
    private var framer = ATFramer()
    private var queued: [ATFramer.Event] = []
    private var needsSettling = false
    private let now: () -> Double

    /// `now` gives monotonic seconds (tests pass a virtual clock); nil uses the system's. `echo` is what the
    /// caller knows of the module's echo setting (unknown by default; learnt from the first echo or ATE0/ATE1).
    public init(transport: any Transport, echo: ATEcho = .unknown, now: (() -> Double)? = nil) {
        self.transport = transport
        self.echo = echo
        self.now = now ?? { Clock.now() }
    }

    /// Sends one command line and returns its response. OK, ERROR and busy all return (check `status`); only a
    /// missing answer or a broken port throws.
    public func exchange(_ commandLine: String, timeout: Double, payloadPrefix: String? = nil,
                         data: [UInt8]? = nil, dataTimeout: Double = 0) throws(ATError) -> ATResponse {
        if needsSettling { settle() }
        framer.payloadPrefix = payloadPrefix
        framer.promptExpected = data != nil
        defer { framer.payloadPrefix = nil; framer.promptExpected = false }
        var exchange = ATExchange(commandLine: commandLine, echo: echo, expectsPrompt: data != nil)
        try write(Array((commandLine + "\r\n").utf8), command: commandLine)
        onEvent?(.sent(commandLine))
        var deadline = now() + timeout
        while true {
            let event = try nextEvent(until: deadline, command: commandLine)
            switch exchange.handle(event) {
            case .consumed:
                if exchange.echoSeen, echo == .unknown { echo = .on }
            case .unsolicited(let line):
                unsolicited.append(line)
                onEvent?(.unsolicited(line))
            case .networkData(let header, let bytes):
                onEvent?(.networkData(header: header, count: bytes.count))
            case .stale(let line):
                onEvent?(.stale(line))
            case .prompt:
                guard let data else { continue }
                try write(data, command: commandLine)
                deadline = now() + max(timeout, dataTimeout)
            case .finished(let response):
                if response.status == .ok { noteEchoChange(commandLine) }
                return response
            }
        }
    }

    /// Like `exchange`, but ERROR and busy throw too.
    @discardableResult
    public func expectOK(_ commandLine: String, timeout: Double, payloadPrefix: String? = nil,
                         data: [UInt8]? = nil, dataTimeout: Double = 0) throws(ATError) -> ATResponse {
        let response = try exchange(commandLine, timeout: timeout, payloadPrefix: payloadPrefix, data: data, dataTimeout: dataTimeout)
        switch response.status {
        case .ok: return response
        case .error: throw ATError(.error, command: commandLine, "the module answered ERROR", partial: response.lines, errorCode: response.errorCode)
        case .busy: throw ATError(.busy, command: commandLine, "the module is busy with an earlier command (busy p...)", errorCode: response.errorCode)
        }
    }

    /// Sends a typed request and parses its reply.
    public func send<R: ATRequest>(_ request: R) throws(ATError) -> R.Reply {
        let data = request.data
        let response = try expectOK(request.commandLine, timeout: request.timeout(baud: transport.baudRate),
                                    payloadPrefix: request.payloadPrefix, data: data,
                                    dataTimeout: data.map { Self.transferTime(bytes: $0.count, baud: transport.baudRate) + 2 } ?? 0)
        return try request.parse(response)
    }

    /// `send`, trying again up to `retries` times when the answer did not come or came garbled (a lost or damaged
    /// reply on a noisy line); ERROR and busy are answers and are not retried. Only for requests without data.
    public func send<R: ATRequest>(_ request: R, retries: Int, onRetry: ((Int, ATError) -> Void)? = nil) throws(ATError) -> R.Reply {
        var attempt = 0
        while true {
            do { return try send(request) } catch where (error.kind == .timeout || error.kind == .badReply) && attempt < retries && request.data == nil {
                attempt += 1
                onRetry?(attempt, error)
                settle()
            }
        }
    }

    /// Waits for an unsolicited line that satisfies `predicate` (such as `ready` after a reset); lines before it
    /// are collected as unsolicited too. Lines seen before this call count: `since` indexes `unsolicited`.
    public func waitForLine(since: Int = 0, timeout: Double, _ predicate: (String) -> Bool) throws(ATError) -> String {
        if let seen = unsolicited[min(since, unsolicited.count)...].first(where: predicate) { return seen }
        let deadline = now() + timeout
        while true {
            // Outside a command every line is unsolicited.
            guard case .line(let line) = try nextEvent(until: deadline, command: "(waiting)") else { continue }
            unsolicited.append(line)
            onEvent?(.unsolicited(line))
            if predicate(line) { return line }
        }
    }

    /// Reads and drops input until nothing arrives for `quiet` seconds (or `limit` passes); lines seen are
    /// recorded as unsolicited. Used after a timeout and after a baud change.
    public func settle(quiet: Double? = nil, limit: Double = 2) {
        let quietTime = quiet ?? settleAfterTimeout
        let end = now() + limit
        var lastByte = now()
        while now() < end, now() - lastByte < quietTime {
            guard let bytes = try? transport.read(maxCount: 4096, timeout: min(pollInterval, quietTime)) else { break }
            if bytes.isEmpty {
                if transport.answersImmediately { break }
                continue
            }
            lastByte = now()
            for case .line(let line) in framer.feed(bytes) {
                unsolicited.append(line)
                onEvent?(.unsolicited(line))
            }
        }
        queued.removeAll()
        framer = ATFramer()
        needsSettling = false
    }

    /// Seconds `bytes` take on the wire at `baud` (10 bits per byte).
    public static func transferTime(bytes: Int, baud: Int) -> Double { Double(bytes * 10) / Double(max(baud, 1)) }

    private func noteEchoChange(_ commandLine: String) {
        switch commandLine.uppercased() {
        case "ATE0": echo = .off
        case "ATE1": echo = .on
        case "AT+RST", "AT+RESTORE": echo = .unknown  // the module restarts with its default (on)
        default: break
        }
    }

    private func write(_ bytes: [UInt8], command: String) throws(ATError) {
        do { try transport.write(bytes) } catch {
            throw ATError(.transport, command: command, error.message)
        }
    }

    /// The next framed event, reading as needed; throws `.timeout` at `deadline`.
    private func nextEvent(until deadline: Double, command: String) throws(ATError) -> ATFramer.Event {
        while queued.isEmpty {
            let remaining = deadline - now()
            guard remaining > 0 else { throw timeout(command) }
            let bytes: [UInt8]
            do { bytes = try transport.read(maxCount: 4096, timeout: min(remaining, pollInterval)) } catch {
                throw ATError(.transport, command: command, error.message)
            }
            if bytes.isEmpty {
                // An in-process chip has already said everything it will say.
                if transport.answersImmediately { throw timeout(command) }
                continue
            }
            queued = framer.feed(bytes)
        }
        return queued.removeFirst()
    }

    private func timeout(_ command: String) -> ATError {
        needsSettling = true
        // Whether an echo change took effect is unknown now; assuming the old setting could reject every answer.
        if ["ATE0", "ATE1", "AT+RST", "AT+RESTORE"].contains(command.uppercased()) { echo = .unknown }
        return ATError(.timeout, command: command, "no answer in time" + (framer.isMidEvent ? " (a reply stopped part-way)" : ""))
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
