/// What a command got back: its result, its information lines in order (`+NAME:…` lines and plain text such as
/// AT+GMR's), a binary payload, and the error code the firmware printed (`ERR CODE:0x…`, `+CME ERROR: n`).
public struct ATResponse: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case ok
        case error
        /// `busy p...` / `busy s...`: the firmware was still processing something and dropped this command.
        case busy
    }

    public var status: Status
    public var lines: [String]
    public var payload: [UInt8]?
    public var errorCode: UInt32?

    public init(status: Status, lines: [String] = [], payload: [UInt8]? = nil, errorCode: UInt32? = nil) {
        self.status = status
        self.lines = lines
        self.payload = payload
        self.errorCode = errorCode
    }

    /// The information lines that start with `+NAME:`, without that prefix.
    public func values(of name: String) -> [String] {
        let prefix = name + ":"
        return lines.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
}

/// Whether the firmware echoes commands (ATE1, the power-on default) or not (ATE0); unknown until seen.
public enum ATEcho: Sendable, Equatable { case unknown, on, off }

/// One command's response, classifying what the framer delivers: the echo of the command, an information line,
/// the final result, the prompt, or an unsolicited report (`ready`, `WIFI CONNECTED`, `+IPD`, …) that belongs
/// to no command. Pure state: the client feeds it events and acts on the steps.
///
/// Rules, so that an unsolicited line is never taken for a response:
/// - `+NAME:` lines are information only when NAME is the command's own (`+SYSFLASH` for AT+SYSFLASH); every other
///   `+X:` line is unsolicited.
/// - Plain lines are information unless they are one of the firmware's reports (AT Messages list) or boot output.
/// - With echo on, a final result that arrives before the command's echo answers an earlier command (one that
///   timed out): it is reported as stale, not taken.
public struct ATExchange: Sendable {
    public let commandLine: String
    /// `+GMR` for `AT+GMR`, `+SYSFLASH` for `AT+SYSFLASH=…`; empty for `AT`, `ATE0`.
    public let name: String
    public let echo: ATEcho
    public let expectsPrompt: Bool
    public private(set) var echoSeen = false
    public private(set) var promptSeen = false
    private var lines: [String] = []
    private var payload: [UInt8]?
    private var errorCode: UInt32?

    public enum Step: Sendable, Equatable {
        /// The line belongs to this command (echo or information); keep reading.
        case consumed
        /// A report that belongs to no command.
        case unsolicited(String)
        /// Network data (`+IPD`) that arrived meanwhile.
        case networkData(header: String, bytes: [UInt8])
        /// A final result that belongs to an earlier command (it came before this command's echo).
        case stale(String)
        /// The `>` prompt: send the data now.
        case prompt
        case finished(ATResponse)
    }

    public init(commandLine: String, echo: ATEcho, expectsPrompt: Bool = false) {
        self.commandLine = commandLine
        self.name = ATExchange.commandName(commandLine)
        self.echo = echo
        self.expectsPrompt = expectsPrompt
    }

    /// `AT+SYSFLASH=1,"x"` → `+SYSFLASH`; `AT+GMR` → `+GMR`; `AT+UART_CUR?` → `+UART_CUR`; `ATE0` → ``.
    public static func commandName(_ line: String) -> String {
        guard line.uppercased().hasPrefix("AT+") else { return "" }
        let body = line.dropFirst(2)
        let end = body.firstIndex { $0 == "=" || $0 == "?" } ?? body.endIndex
        return String(body[..<end]).uppercased()
    }

    public mutating func handle(_ event: ATFramer.Event) -> Step {
        switch event {
        case .prompt:
            guard expectsPrompt, !promptSeen else { return .unsolicited(">") }
            promptSeen = true
            return .prompt
        case .payload(_, let bytes):
            payload = (payload ?? []) + bytes
            return .consumed
        case .networkData(let header, let bytes):
            return .networkData(header: header, bytes: bytes)
        case .line(let line):
            return handle(line: line)
        }
    }

    private mutating func handle(line: String) -> Step {
        if !echoSeen, lines.isEmpty, payload == nil, !promptSeen, echo != .off, line == commandLine {
            echoSeen = true
            return .consumed
        }
        if let final = Self.finalResult(line, errorCode: &errorCode) {
            if echo == .on, !echoSeen { return .stale(line) }
            return .finished(ATResponse(status: final, lines: lines, payload: payload, errorCode: errorCode))
        }
        if line.hasPrefix("ERR CODE:") { return .consumed }  // recorded by finalResult; ERROR or busy follows
        if line.hasPrefix("+") {
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            let lineName = String(line[..<colon]).uppercased()
            if !name.isEmpty, lineName == name {
                lines.append(line)
                return .consumed
            }
            return .unsolicited(line)
        }
        if ATReports.isReport(line) { return .unsolicited(line) }
        if promptSeen, line.hasPrefix("Recv "), line.hasSuffix(" bytes") { return .consumed }
        lines.append(line)
        return .consumed
    }

    /// The line's final result, if it is one. `ERR CODE:0x…` lines are not final but set `errorCode`.
    static func finalResult(_ line: String, errorCode: inout UInt32?) -> ATResponse.Status? {
        switch line {
        case "OK", "SEND OK", "SET OK": return .ok
        case "ERROR", "FAIL", "SEND FAIL": return .error
        case "busy p...", "busy s...": return .busy
        default: break
        }
        if line.hasPrefix("ERR CODE:") {
            let hex = line.dropFirst("ERR CODE:".count).trimmingPrefix("0x")
            errorCode = UInt32(hex, radix: 16)
            return nil
        }
        for prefix in ["+CME ERROR:", "+CMS ERROR:"] where line.hasPrefix(prefix) {
            errorCode = UInt32(line.dropFirst(prefix.count).trimmingBlanksSubstring)
            return .error
        }
        return nil
    }
}

private extension Substring {
    func trimmingPrefix(_ p: String) -> Substring { hasPrefix(p) ? dropFirst(p.count) : self }
    var trimmingBlanksSubstring: String { String(self).trimmingBlanks }
}
